-- Gold: pre-aggregates maintained incrementally by the transformer (one upsert per chunk).

-- Groups of similar trips: same region, origin cell, destination cell and time-of-day bucket.
CREATE TABLE gold.trip_groups (
  region_id        smallint NOT NULL,
  origin_cell      bigint   NOT NULL,
  destination_cell bigint   NOT NULL,
  tod_bucket       smallint NOT NULL,
  trip_count       bigint   NOT NULL,
  first_seen       timestamp NOT NULL,
  last_seen        timestamp NOT NULL,
  datasource_ids   smallint[] NOT NULL,
  PRIMARY KEY (region_id, origin_cell, destination_cell, tod_bucket)
);

-- Weekly trip counts (week_start = Monday of the ISO week of the local date).
CREATE TABLE gold.weekly_region_counts (
  region_id     smallint NOT NULL,
  week_start    date     NOT NULL,
  datasource_id smallint NOT NULL,
  trips         bigint   NOT NULL,
  PRIMARY KEY (region_id, week_start, datasource_id)
);

-- Per spatial cell: a bounding-box query sums the cells wholly inside the box.
CREATE TABLE gold.weekly_origin_cells (
  origin_cell   bigint   NOT NULL,
  week_start    date     NOT NULL,
  datasource_id smallint NOT NULL,
  trips         bigint   NOT NULL,
  PRIMARY KEY (origin_cell, week_start, datasource_id)
);

CREATE TABLE gold.weekly_destination_cells (
  destination_cell bigint   NOT NULL,
  week_start       date     NOT NULL,
  datasource_id    smallint NOT NULL,
  trips            bigint   NOT NULL,
  PRIMARY KEY (destination_cell, week_start, datasource_id)
);

-- Origin and destination cell pairs, for match=both / match=any.
CREATE TABLE gold.weekly_od_cells (
  origin_cell      bigint   NOT NULL,
  destination_cell bigint   NOT NULL,
  week_start       date     NOT NULL,
  datasource_id    smallint NOT NULL,
  trips            bigint   NOT NULL,
  PRIMARY KEY (origin_cell, destination_cell, week_start, datasource_id)
);
