/**
 * Pipeline names: 1 to 63 lowercase letters, digits, `-` and `_`, starting with a letter or digit.
 * One rule for the platform (packages/core) and the command line, which checks names before
 * sending them without loading core.
 */
export const PIPELINE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
