import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';

/** What `npm start -- …` asked for, validated: everything main.ts needs from argv and the environment. */
export interface StartCommand {
  config: string;
  port: number;
  host: string;
  /** null: no gRPC server (`--grpc-port -1`). */
  grpcPort: number | null;
  /** `--no-auth`: calls without a valid virtual key act as the admin (local development only). */
  noAuth: boolean;
  /** How long requests in flight may take to finish after SIGTERM/SIGINT. */
  drainMs: number;
  logLevel: string;
  /** DATABASE_URL; undefined: general_settings.database_url, else the embedded SQLite default. */
  databaseUrl?: string;
  /** Gateway processes sharing the ports (`--workers`); more than 1 needs PostgreSQL (cli/process-cluster.ts). */
  workers: number;
}

/** Either start, or exit now with this code after printing `stdout` (help) or the one-line `stderr`. */
export type CommandLine = { action: 'start'; command: StartCommand } | { action: 'exit'; code: number; stdout?: string; stderr?: string };

/** Exit code of every refusal to start: a bad command line, config, database or port. */
export const USAGE_EXIT_CODE = 2;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function port(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('A port is a whole number from 0 to 65535 (0: any free port).');
  return Number(value);
}

// -1 (no gRPC server) stays a number here: commander turns a parser's null into ''.
function grpcPort(value: string): number {
  return value === '-1' ? -1 : port(value);
}

// A hostname (RFC 1123 labels) or an IP address; whether it resolves to this machine is only known at listen.
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

function host(value: string): string {
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (isIP(bare) === 0 && !HOSTNAME.test(bare))
    throw new InvalidArgumentError('A host is an IP address or a hostname, e.g. 127.0.0.1, 0.0.0.0 or ::.');
  return bare;
}

function seconds(value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) > 3600) throw new InvalidArgumentError('Seconds from 0 to 3600 are expected.');
  return Number(value) * 1000;
}

// `auto`: one per core the process may use, the usual choice where sluice has the machine (its container) to itself.
function workers(value: string): number {
  if (value === 'auto') return availableParallelism();
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > 256)
    throw new InvalidArgumentError('Workers are a whole number from 1 to 256, or auto (one per core).');
  return Number(value);
}

function program(): Command {
  return new Command('npm start --')
    .description('sluice: an OpenAI-compatible batch gateway.')
    .addOption(new Option('-c, --config <file>', 'LiteLLM config.yaml').env('SLUICE_CONFIG').default('examples/config.yaml'))
    .addOption(new Option('-p, --port <port>', 'HTTP port (REST and tRPC); 0: any free port').env('PORT').default(4000).argParser(port))
    .addOption(new Option('--host <host>', 'address to listen on (HTTP and gRPC)').env('HOST').default('127.0.0.1').argParser(host))
    .addOption(new Option('--grpc-port <port>', 'gRPC port; -1: no gRPC server').env('GRPC_PORT').default(50051).argParser(grpcPort))
    .addOption(
      new Option('--drain-seconds <seconds>', 'on SIGTERM/SIGINT, how long requests in flight may take to finish')
        .env('SLUICE_DRAIN_SECONDS')
        .default(20_000, '20')
        .argParser(seconds),
    )
    .addOption(
      new Option('--workers <n|auto>', 'gateway processes sharing the ports (auto: one per core); more than 1 needs PostgreSQL')
        .env('SLUICE_WORKERS')
        .default(1)
        .argParser(workers),
    )
    .addOption(new Option('--log-level <level>', 'JSON log level (pino)').env('LOG_LEVEL').default('info').choices(LOG_LEVELS))
    .addOption(
      new Option(
        '--no-auth',
        'start without general_settings.master_key: a call without a valid virtual key acts as the admin. Local development only',
      ),
    )
    .addHelpText(
      'after',
      [
        '',
        'Environment: DATABASE_URL (postgres://… or a SQLite file; default general_settings.database_url,',
        'else ./data/sluice.sqlite). A second SIGTERM/SIGINT (2 s or more after the first) stops at once.',
        'Exit codes: 0 stopped cleanly, 2 refused to start (one line on stderr says why).',
      ].join('\n'),
    )
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .exitOverride();
}

/** Parses argv (without node and the script) and the variables named in the help (process.env). Never exits. */
export function parseCommandLine(argv: string[]): CommandLine {
  let help = '';
  const cmd = program().configureOutput({ writeOut: (s) => (help += s), writeErr: () => undefined, outputError: () => undefined });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') return { action: 'exit', code: 0, stdout: help };
    return { action: 'exit', code: USAGE_EXIT_CODE, stderr: `${err.message.replace(/^error: /, '').replace(/\.?$/, '.')} See --help.` };
  }
  const o = cmd.opts<{
    config: string;
    port: number;
    host: string;
    grpcPort: number;
    drainSeconds: number;
    logLevel: string;
    auth: boolean;
    workers: number;
  }>();
  return {
    action: 'start',
    command: {
      config: o.config,
      port: o.port,
      host: o.host,
      grpcPort: o.grpcPort < 0 ? null : o.grpcPort,
      noAuth: !o.auth,
      drainMs: o.drainSeconds,
      logLevel: o.logLevel,
      databaseUrl: process.env.DATABASE_URL || undefined,
      workers: o.workers,
    },
  };
}
