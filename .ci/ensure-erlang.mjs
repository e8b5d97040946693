#!/usr/bin/env node
// Some tests talk to a real Erlang/OTP peer (interop, the ported gen_tcp
// documentation examples, t_connect_timeout). When `escript` is missing,
// install Debian's erlang-base if this machine can (apt-get, as root);
// otherwise say what to install. Run by `pnpm test` and by .ci/run.
import { spawnSync } from 'node:child_process';

const has = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).error === undefined;

if (has('escript', ['-h'])) process.exit(0);

const root = typeof process.getuid === 'function' && process.getuid() === 0;
if (root && has('apt-get', ['--version'])) {
  console.log('test: Erlang/OTP not found; installing erlang-base (apt-get) for the interop tests…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '-qq', 'erlang-base'], { stdio: 'inherit', env }) : update;
  if (install.status === 0 && has('escript', ['-h'])) process.exit(0);
}
console.error(
  'test: Erlang/OTP (escript) is needed by the interop tests and could not be installed here.\n' +
    '      Install it (Debian/Ubuntu: apt-get install -y erlang-base) and run the tests again.',
);
process.exit(1);
