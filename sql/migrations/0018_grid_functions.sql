-- The grid in SQL, in one home (docs/architecture.md; its TypeScript home is libs/contracts/src/grid.ts,
-- and libs/db/src/grid-functions.int-spec.ts holds the two to the same answers on generated and
-- border points). IMMUTABLE SQL functions with a RETURN body: the planner inlines them, so a query
-- that uses them costs what the spelled-out expression costs.

-- The key of the cell a point lies in: (floor(lat / g) + 2^21) * 2^22 + (floor(lon / g) + 2^21).
CREATE FUNCTION silver.cell_key(lon float8, lat float8, cell_degrees float8) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN (floor(lat / cell_degrees)::bigint + 2097152) * 4194304 + (floor(lon / cell_degrees)::bigint + 2097152);

-- A cell's indices along each axis (its south-west corner is (x, y) * g).
CREATE FUNCTION silver.cell_x(cell bigint) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN cell % 4194304 - 2097152;
CREATE FUNCTION silver.cell_y(cell bigint) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN cell / 4194304 - 2097152;

-- The cell's row of latitude (0 = south … 9) a point lies in; the clamp absorbs float rounding at borders.
CREATE FUNCTION silver.cell_sub_row(lat float8, cell_degrees float8) RETURNS smallint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  RETURN least(9, greatest(0, floor((lat / cell_degrees - floor(lat / cell_degrees)) * 10)))::smallint;
