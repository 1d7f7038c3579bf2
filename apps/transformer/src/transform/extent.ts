import type { Bbox } from '#contracts';
import type { ParsedTrips } from '#csv';

/**
 * The smallest box holding both ends of every trip added: a segment's extent, recorded with it in
 * meta.segments (the query-api drops the sides of a box beyond the data's extent).
 */
export class Extent {
  private minLon = Infinity;
  private minLat = Infinity;
  private maxLon = -Infinity;
  private maxLat = -Infinity;

  add(trips: ParsedTrips): void {
    const { originLon, originLat, destinationLon, destinationLat } = trips;
    for (let i = 0; i < trips.length; i++) {
      this.minLon = Math.min(this.minLon, originLon[i], destinationLon[i]);
      this.maxLon = Math.max(this.maxLon, originLon[i], destinationLon[i]);
      this.minLat = Math.min(this.minLat, originLat[i], destinationLat[i]);
      this.maxLat = Math.max(this.maxLat, originLat[i], destinationLat[i]);
    }
  }

  /** Before any trip, the empty box (+∞ minima, −∞ maxima: a union with it changes nothing). */
  get bounds(): Bbox {
    return { minLon: this.minLon, minLat: this.minLat, maxLon: this.maxLon, maxLat: this.maxLat };
  }
}
