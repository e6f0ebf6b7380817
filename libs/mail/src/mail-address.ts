// One plain address and nothing else: no display name, no list separators, no
// whitespace. The recipient usually comes from user input, and "a@x.com, b@y.com"
// must not turn one reset mail into two.
const SINGLE_ADDRESS = /^[^\s@,;:<>()[\]\\"]+@[^\s@,;:<>()[\]\\"]+$/;

export function isSingleMailAddress(value: string): boolean {
  return typeof value === 'string' && value.length <= 254 && SINGLE_ADDRESS.test(value);
}

/**
 * `alice@example.com` → `a***@example.com`: enough for an operator to tell deliveries
 * apart, not enough to read the address book out of the logs.
 */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${address[0]}***${address.slice(at)}`;
}

/** Replaces every occurrence of the address (any case) in a text by its masked form. */
export function maskAddressIn(text: string, address: string): string {
  if (!address) return text;
  const pattern = new RegExp(address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi');
  return text.replace(pattern, maskEmail(address));
}
