/** The error of every config problem: parse, JSON, auto-complete, validation. Always INVALID_ARG. */
import { ServerError } from '../core/errors.js';

export class ConfigError extends ServerError {
  constructor(message: string) {
    super('INVALID_ARG', message);
    this.name = 'ConfigError';
  }
}
