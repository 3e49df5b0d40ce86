// Kestrel's version, recorded in capture headers. Keep in step with package.json.
export const KESTREL_VERSION = '0.1.0';
