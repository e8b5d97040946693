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

/** The reason for a Node socket error: its lower-cased errno, `nxdomain` for a failed lookup. */
export function posixReason(error: unknown): PosixReason | string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_AGAIN' || code === 'EAI_FAIL') return 'nxdomain';
  if (typeof code !== 'string') return 'einval';
  // Node's codes are the errno names; OTP's reasons are the same names in lower case.
  return code.toLowerCase();
}
