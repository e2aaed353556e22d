// Types of build.mjs for the TypeScript tests that import it.
export declare const ROOT: string;
export declare const OUT: string;
export declare const BROWSER_BUNDLE: string;
export declare const finetorchExternal: import('esbuild').Plugin;
export declare function buildBrowserBundle(): string;
export declare function buildWeb(opts?: { out?: string; bundle?: boolean }): Promise<Record<string, number>>;
