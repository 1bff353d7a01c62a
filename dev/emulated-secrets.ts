/** Provider secrets of the emulated stack (dev/emulated-stack.ts); the test suite's secret scan asserts they never appear in a log line or a response. */
export const AZURE_KEY_EAST = 'azure-secret-east-7f9c2d41b8';
export const AZURE_KEY_WEST = 'azure-secret-west-1a2b3c4d5e';
export const OPENAI_KEY = 'sk-openai-secret-9e8d7c6b5a';
