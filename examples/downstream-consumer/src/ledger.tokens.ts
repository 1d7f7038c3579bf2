/** Injection token of the {@link LedgerConfig} read at boot. */
export const LEDGER_CONFIG = Symbol('LEDGER_CONFIG');
