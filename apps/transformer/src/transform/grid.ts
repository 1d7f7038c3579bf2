/** The grid rules live in #contracts (libs/contracts/src/grid.ts); re-exported for existing imports. */
export {
  CELL_AXIS,
  CELL_OFFSET,
  SUB_ROWS,
  assertGridFits,
  cellIndex,
  cellKey,
  decodeCell,
  subRow,
  todBucket,
} from '#contracts';
