/**
 * The name check of an explicit load request, as Triton's model repository manager makes it before
 * polling: the name becomes a directory under a repository (and of a load override), so an empty
 * or blank name, or one that could leave the repository ("..", "/"), is refused up front.
 */
import { ServerError } from '../core/index.js';

export function checkLoadModelName(name: string): void {
  if (name === '') throw ServerError.invalidArg('model name must not be empty');
  if (/^[ \t\n\v\f\r]+$/.test(name)) {
    throw ServerError.invalidArg('model name must not contain only whitespace characters');
  }
  if (name.includes('..') || name.includes('/')) {
    throw ServerError.invalidArg(`invalid model name '${name}', model name must not contain path traversal characters`);
  }
}
