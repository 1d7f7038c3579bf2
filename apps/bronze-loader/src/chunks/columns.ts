import { REQUIRED_COLUMNS } from '#contracts';

/** The upload's header cannot be loaded (a contract violation by the producer). */
export class ColumnsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ColumnsError';
  }
}

/**
 * Checks that the upload's header (lower-cased names in file order) holds every schema column once.
 * The gateway refuses such a header with a 4xx; a raw chunk that carries one anyway breaks the contract.
 */
export function checkColumns(columns: readonly string[]): void {
  const missing = REQUIRED_COLUMNS.filter((c) => !columns.includes(c));
  if (missing.length) throw new ColumnsError(`upload columns lack ${missing.join(', ')}`);
  const duplicated = REQUIRED_COLUMNS.filter((c) => columns.indexOf(c) !== columns.lastIndexOf(c));
  if (duplicated.length) throw new ColumnsError(`upload columns repeat ${duplicated.join(', ')}`);
}
