/**
 * Node's error codes to the posix reasons gen_tcp returns
 * (`inet:format_error/1` names them).
 */
export type PosixReason =
  | 'econnrefused'
  | 'econnreset'
  | 'eaddrinuse'
  | 'eaddrnotavail'
  | 'ehostunreach'
  | 'enetunreach'
  | 'etimedout'
  | 'eacces'
  | 'epipe'
  | 'einval'
  | 'nxdomain'
  | 'eafnosupport'
  | 'emfile';

const KNOWN = new Set<string>([
  'econnrefused',
  'econnreset',
  'eaddrinuse',
  'eaddrnotavail',
  'ehostunreach',
  'enetunreach',
  'etimedout',
  'eacces',
  'epipe',
  'einval',
  'eafnosupport',
  'emfile',
]);

/** The reason for a Node socket error: its lower-cased errno, `nxdomain` for a failed lookup. */
export function posixReason(error: unknown): PosixReason | string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') return 'nxdomain';
  if (typeof code !== 'string') return 'einval';
  const reason = code.toLowerCase();
  return KNOWN.has(reason) ? (reason as PosixReason) : reason;
}
