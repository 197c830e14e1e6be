/** The `--http-max-input-size` refusal (Triton wording; clients look for "exceeds the maximum allowed value"). */
import { ServerError } from '../../core/index.js';

/** `what` names the measured thing; `size` is omitted when only "more than the limit" is known. */
export function tooLarge(what: string, size: number | undefined, maxSize: number): ServerError {
  const measured = size === undefined ? `${what} size` : `${what} size of ${size} bytes`;
  return ServerError.invalidArg(
    `${measured} exceeds the maximum allowed value of ${maxSize} bytes. Use --http-max-input-size to increase the limit.`,
  );
}
