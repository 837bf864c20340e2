/**
 * `pnpm tidemark <command> [options]`: the command-line tool. One file per command in this
 * folder, each exporting a `Command`; adding one is a file and a line in `COMMANDS`.
 */
import { audit } from './audit.ts';
import { type Command, usageText } from './command.ts';
import { exportCommand } from './export.ts';
import { importCommand } from './import.ts';
import { importsCommand } from './imports.ts';
import { keys } from './keys.ts';
import { links } from './links.ts';
import { sites } from './sites.ts';
import { topicTail } from './topic-tail.ts';
import { users } from './users.ts';

const COMMANDS: Command[] = [topicTail, sites, keys, links, users, audit, exportCommand, importCommand, importsCommand];

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: pnpm tidemark <command> [options]   (--help after a command for its options)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

/** The command whose words start `argv`, and the arguments after them. */
export function findCommand(argv: readonly string[]): { command: Command; args: string[] } | null {
  for (const command of COMMANDS) {
    const words = command.name.split(' ');
    if (words.every((w, i) => argv[i] === w)) return { command, args: argv.slice(words.length) };
  }
  return null;
}

async function main(argv: string[]): Promise<number> {
  const found = findCommand(argv);
  if (found === null) {
    const asked = argv.length === 0 || argv[0] === '--help' || argv[0] === 'help';
    (asked ? process.stdout : process.stderr).write(`${asked ? '' : `tidemark: unknown command "${argv.join(' ')}"\n\n`}${help()}`);
    return asked ? 0 : 2;
  }
  if (found.args.includes('--help')) {
    const usage = usageText(found.command.name, found.command.usage).replaceAll('\n', '\n  ');
    process.stdout.write(`usage:\n  ${usage}\n\n${found.command.summary}\n`);
    return 0;
  }
  return found.command.run(found.args, process.env);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`tidemark: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
