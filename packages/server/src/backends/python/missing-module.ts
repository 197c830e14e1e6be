/**
 * Names the package that provides a Python module a stub could not import. A model that fails with
 * "ModuleNotFoundError: No module named 'cv2'" on a machine without OpenCV says which interpreter
 * lacks it and, for the modules inferd's stub and example models use, which Debian package installs it
 * (module and package names differ: cv2 is python3-opencv, PIL is python3-pil).
 */

/** Top-level module -> Debian package, for the modules the stub and the example models import. */
const DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  numpy: 'python3-numpy',
  cv2: 'python3-opencv',
  PIL: 'python3-pil',
  pyclipper: 'python3-pyclipper',
  shapely: 'python3-shapely',
  scipy: 'python3-scipy',
  yaml: 'python3-yaml',
  torch: 'python3-torch',
};

const NO_MODULE = /No module named '([A-Za-z_][\w.]*)'/;

/** The missing top-level module in a ModuleNotFoundError text, or undefined. */
export function missingModule(message: string): string | undefined {
  return NO_MODULE.exec(message)?.[1]?.split('.')[0];
}

/**
 * `message` with a hint appended when it reports a missing module:
 * "... No module named 'numpy' (install numpy for /usr/bin/python3; Debian: python3-numpy)".
 */
export function withInstallHint(message: string, interpreter: string): string {
  const module = missingModule(message);
  if (module === undefined) return message;
  const debian = DEBIAN_PACKAGES[module];
  return `${message} (install ${module} for ${interpreter}${debian === undefined ? '' : `; Debian: ${debian}`})`;
}
