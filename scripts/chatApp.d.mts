export declare const repositoryRoot: string;
export declare const chatAppDir: string;
export declare function buildChatApp(options: {
  env: NodeJS.ProcessEnv;
  distDir?: string;
  quiet?: boolean;
  appDir?: string;
  bundler?: 'default' | 'webpack';
}): Promise<string>;
export declare function createConsumerApp(options: {
  dir: string;
  tarball: string;
  providerPackages: string[];
  overlayDir?: string;
  quiet?: boolean;
}): Promise<string>;
export declare function buildLibrary(options?: { quiet?: boolean }): Promise<string>;
export interface ChatAppProcess {
  url: string;
  port: number;
  pid: number | undefined;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(graceMs?: number): Promise<void>;
}
export declare function startChatApp(options: {
  env: NodeJS.ProcessEnv;
  port: number;
  hostname?: string;
  distDir?: string;
  quiet?: boolean;
  readyTimeoutMs?: number;
  appDir?: string;
}): Promise<ChatAppProcess>;
