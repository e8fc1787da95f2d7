// Types for tools/lavapipe.mjs (plain JavaScript: tools/setup.mjs runs it before node_modules exists).
export declare const LAVAPIPE_ICD: string;
export declare const LAVAPIPE_TEST_TIMEOUT_MS: number;
export declare function systemLavapipeIcd(): string | undefined;
export declare function prepareLavapipe(log?: (line: string) => void): string | undefined;
