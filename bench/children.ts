/** Every child process the harness starts, so none outlives it (Ctrl-C, time limit, crash). */
import type { ChildProcess } from "node:child_process";

const children = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export function killAll(): void {
  for (const child of children) child.kill("SIGKILL");
  children.clear();
}

process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping the server and the load workers\n`);
    killAll();
    process.exit(130);
  });
}
