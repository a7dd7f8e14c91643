/**
 * Running real S3 tools from Debian's packages (awscli, rclone, restic, python3-boto3; .ci/run
 * installs them) against a test server: where the binaries are, whether a test may skip, a child
 * process with a clean environment, and directory trees written and compared byte for byte.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import path from 'node:path';
import { listFiles } from './data-dir';

/**
 * The tools by absolute path, as Debian installs them. The machine's PATH may find others first
 * (here pyenv's shims put a pip-installed aws-cli 1.x and a Python with a newer boto3 ahead of
 * /usr/bin): the tests run what .ci/run installs.
 */
export const TOOLS = {
  aws: '/usr/bin/aws',
  rclone: '/usr/bin/rclone',
  restic: '/usr/bin/restic',
  python3: '/usr/bin/python3',
} as const;

export type Tool = keyof typeof TOOLS;

/** Whether Debian's boto3 is importable by Debian's python3. */
function hasBoto3(): boolean {
  return existsSync('/usr/lib/python3/dist-packages/boto3/__init__.py');
}

/**
 * The `skip` option for a tool's tests: a message when the tool is missing outside CI; in CI
 * (CI set) never, so the test runs and fails on the missing tool.
 */
export function skipUnlessTool(tool: Tool): string | false {
  const present = existsSync(TOOLS[tool]) && (tool !== 'python3' || hasBoto3());
  if (present || process.env.CI) return false;
  const pkg = { aws: 'awscli', rclone: 'rclone', restic: 'restic', python3: 'python3-boto3' }[tool];
  return `${TOOLS[tool]}${tool === 'python3' ? ' with boto3' : ''} is missing: apt-get install --no-install-recommends ${pkg} (.ci/run does)`;
}

/** Fails the test with the installation hint when the tool is missing (in CI, where it was not skipped). */
export function requireTool(tool: Tool): string {
  assert.ok(existsSync(TOOLS[tool]), `${TOOLS[tool]} is missing (.ci/run installs it from Debian's packages)`);
  if (tool === 'python3') assert.ok(hasBoto3(), 'Debian\'s python3-boto3 is missing (.ci/run installs it)');
  return TOOLS[tool];
}

/**
 * An environment with nothing of the machine's but PATH: no AWS_*, RCLONE_*, RESTIC_*, proxy or
 * Python path variables leak in, HOME is the test's own directory (so no ~/.aws, ~/.config/rclone
 * or ~/.cache/restic of the machine is read or written).
 */
export function cleanEnv(home: string, vars: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    TMPDIR: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    NO_PROXY: '*',
    PYTHONNOUSERSITE: '1',
    ...vars,
  };
}

export interface RunResult { stdout: string; stderr: string; ms: number }

/** Runs a tool; a non-zero exit fails the test with the command line and everything it printed. */
export async function run(file: string, args: string[], opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string | Buffer }): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { env: opts.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const how = (err as { killed?: boolean }).killed ? 'timed out' : `exited with ${String((err as { code?: unknown }).code)}`;
        reject(new Error(`${path.basename(file)} ${args.join(' ')} ${how}\n--- stdout\n${stdout.slice(-20_000)}\n--- stderr\n${stderr.slice(-20_000)}`));
      } else resolve({ stdout, stderr, ms: Date.now() - started });
    });
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** A directory tree to write: relative path → content. */
export type Tree = Record<string, Buffer>;

/**
 * A nested tree with an empty file, small and mid-sized files, names with spaces, UTF-8 and
 * punctuation, and one file of `bigSize` bytes (over the tools' multipart thresholds); every
 * non-empty file holds `token` so the disk can be searched for plaintext.
 */
export function sampleTree(token: Buffer, bigSize = 12 * 1024 * 1024 + 123): Tree {
  const fill = (size: number): Buffer => {
    const b = randomBytes(size);
    for (let off = 0; off + token.length <= size; off += 4096) token.copy(b, off);
    return b;
  };
  return {
    'empty.txt': Buffer.alloc(0),
    'hello.txt': Buffer.concat([token, Buffer.from('\nhello from coffer\n')]),
    'docs/readme.md': Buffer.concat([Buffer.from('# readme\n'), token]),
    'docs/deep/er/nested.bin': fill(70_000),
    'docs/deep/other file.txt': fill(3000),
    'media/ünïcødé-名前.dat': fill(300_000),
    // Characters SigV4's canonical URI encodes (or not: ~), that a query string or a path would
    // otherwise read, and an escape that must stay literal.
    'odd/a+b & c=d;e,f(1)~!$@\'*.txt': fill(100),
    'odd/100% #hash ?q [1] ^`|<>.txt': fill(200),
    'odd/%2F literal.txt': fill(300),
    'media/big.bin': fill(bigSize),
  };
}

export function writeTree(dir: string, tree: Tree): void {
  for (const [rel, data] of Object.entries(tree)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), data);
  }
}

/** Asserts that dir holds exactly the tree's files with the same bytes. */
export function assertTree(dir: string, tree: Tree): void {
  assert.deepEqual(listFiles(dir), Object.keys(tree).map((p) => path.normalize(p)).sort(), `files under ${dir}`);
  for (const [rel, data] of Object.entries(tree)) {
    const got = readFileSync(path.join(dir, rel));
    assert.ok(got.equals(data), `${rel}: ${got.length} bytes differ from the ${data.length} written`);
  }
}

/** A throwaway certificate for 127.0.0.1 and localhost (openssl), for a server with `tls`. */
export function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

export interface PayloadRecorder {
  /** http://127.0.0.1:<port> of the recorder, to give the tool as its endpoint. */
  url: string;
  /** How many requests sent each x-amz-content-sha256 value (hashes counted as "<sha256>"). */
  modes(): Map<string, number>;
  close(): Promise<void>;
}

/**
 * A loopback TCP relay in front of the server that notes each request's x-amz-content-sha256 (how
 * the tool signed its payload), the bytes passing unchanged both ways. It reads the client's byte
 * stream for the header line; tools whose bodies are random or encrypted bytes do not spell it.
 */
export async function payloadRecorder(port: number): Promise<PayloadRecorder> {
  const counts = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let tail = '';
    client.on('data', (d: Buffer) => {
      const text = tail + d.toString('latin1');
      for (const m of text.matchAll(/\r\nx-amz-content-sha256: *([^\r\n]*)\r\n/gi)) {
        // Only matches that end in this chunk: those wholly in the tail were counted before.
        if (m.index! + m[0].length <= tail.length) continue;
        const mode = /^[0-9a-f]{64}$/i.test(m[1]) ? '<sha256>' : m[1];
        counts.set(mode, (counts.get(mode) ?? 0) + 1);
      }
      tail = text.slice(-200);
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => client.write(d));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    modes: () => new Map(counts),
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
