/** Where `vigil tsdb` subcommands write: standard output and standard error, injectable for tests. */
export interface TsdbIO {
  out(s: string): void;
  err(s: string): void;
}

/** Writes to the process's stdout and stderr. */
export const PROCESS_IO: TsdbIO = {
  out: (s) => {
    process.stdout.write(s);
  },
  err: (s) => {
    process.stderr.write(s);
  },
};
