export interface SoketiApp {
  appId: string;
  key: string;
  secret: string;
}
export interface SoketiProcess extends SoketiApp {
  host: string;
  port: number;
  metricsPort: number;
  pid: number | undefined;
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(graceMs?: number): Promise<void>;
}
export declare const DEFAULT_APP: SoketiApp;
export declare function freePort(host?: string): Promise<number>;
export declare function startSoketi(options?: {
  port?: number;
  metricsPort?: number;
  app?: SoketiApp;
  env?: Record<string, string>;
  quiet?: boolean;
  readyTimeoutMs?: number;
}): Promise<SoketiProcess>;
/** The server and browser variables that point next-realtime at this Soketi. */
export declare function nextRealtimeEnv(
  soketi: Pick<SoketiProcess, 'appId' | 'key' | 'secret' | 'port'>,
  options?: { publicHost?: string },
): Record<string, string>;
