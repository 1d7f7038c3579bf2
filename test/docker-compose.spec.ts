import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

// There is no Docker engine here; `docker-compose config` still parses and validates the file
// (scripts/ci/install-system-deps.sh installs Debian's docker-compose).
describe('docker-compose.yml', () => {
  it('is a valid compose file', () => {
    expect(() =>
      execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('defines Kafka 3.9.1, PostgreSQL 16 and the five services from one Dockerfile', () => {
    const config = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], { encoding: 'utf8' });
    expect(config).toContain('image: apache/kafka:3.9.1');
    expect(config).toContain('image: postgres:16');
    for (const service of ['upload-gateway', 'bronze-loader', 'transformer', 'query-api', 'notifier']) {
      expect(config).toMatch(new RegExp(`^  ${service}:$`, 'm'));
      expect(config).toContain(`SERVICE: ${service}`);
    }
    expect(readFileSync('Dockerfile', 'utf8')).toContain('dist/apps/${SERVICE}/src/main.js');
  });
});
