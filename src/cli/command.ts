/** One `pnpm tidemark` command (see `main.ts`). */
export interface Command {
  /** The words that call it, e.g. `topic tail`. */
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Its options, for `--help`: one line per way to call it (after its name); lines that start
   * with a space continue the line before. */
  usage: string;
  /** Runs it; resolves to the exit code. Configuration comes from `env` (SPEC §7). */
  run(args: string[], env: Record<string, string | undefined>): Promise<number>;
}

/** `usage` with `pnpm tidemark <name>` before each way to call the command. */
export function usageText(name: string, usage: string): string {
  return usage
    .split('\n')
    .map((line) => (line.startsWith(' ') ? line : `pnpm tidemark ${name} ${line}`))
    .join('\n');
}

/** Options of the form `--name` and `--name value`: the flags given, and each value. */
export function parseOptions(args: readonly string[], known: { flags: string[]; values: string[] }): Map<string, string | true> {
  const options = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const [name, inline] = arg.split('=', 2) as [string, string | undefined];
    if (known.flags.includes(name) && inline === undefined) options.set(name, true);
    else if (known.values.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new Error(`${name} needs a value`);
      options.set(name, value);
    } else throw new Error(`unknown option ${arg}`);
  }
  return options;
}
