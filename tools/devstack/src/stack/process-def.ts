import type { Launch } from './procs';

/** Anything the stack runs: a server now, an app later. `marker` is unique to this stack's command line. */
export interface ProcessDef {
  name: string;
  ports: number[];
  /** The setting that moves each port, named in the error when a port is taken. */
  portVars: string[];
  marker: string;
  startTimeoutMs: number;
  /** Provisions, writes configuration, initialises data; returns how to launch. */
  prepare(log: (m: string) => void): Launch;
  health(): Promise<void>;
}
