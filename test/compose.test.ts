import fs from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '@userforge/devstack';

interface Service {
  image: string;
  ports?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}

const compose = yaml.load(fs.readFileSync(path.join(REPO_ROOT, 'docker-compose-resource.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const { services } = compose;

describe('docker-compose-resource.yml', () => {
  it('keeps the original port contract, plus Prometheus and Grafana, on loopback only, and no ZooKeeper', () => {
    const ports = Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.ports]));
    expect(ports).toEqual({
      mongo: ['127.0.0.1:27017:27017'],
      redis: ['127.0.0.1:6379:6379'],
      kafka: ['127.0.0.1:9092:9092'],
      'mongo-express': ['127.0.0.1:8081:8081'],
      prometheus: ['127.0.0.1:9090:9090'],
      grafana: ['127.0.0.1:3000:3000'],
    });
    expect(Object.values(services).some((s) => s.ports?.some((p) => p.includes('2181')))).toBe(false);
  });

  it('pins every image to a version, never latest', () => {
    for (const [name, s] of Object.entries(services)) {
      const tag = s.image.split(':')[1];
      expect([name, tag]).toEqual([name, expect.stringMatching(/^v?\d+\.\d+/)]);
    }
    expect(services.mongo!.image).toMatch(/^mongo:7\./);
    expect(services.kafka!.image).toMatch(/:3\.9\./);
  });

  it('puts Mongo Express behind a login whose password the user must set', () => {
    const env = services['mongo-express']!.environment!;
    expect(env.ME_CONFIG_BASICAUTH).toBe('true');
    expect(env.ME_CONFIG_BASICAUTH_PASSWORD).toMatch(/^\$\{MONGO_EXPRESS_PASSWORD:\?/);
  });

  it('gives every service a healthcheck, and waits on healthy dependencies', () => {
    for (const [name, s] of Object.entries(services)) {
      expect([name, (s.healthcheck?.test.length ?? 0) > 0]).toEqual([name, true]);
      for (const dep of Object.values(s.depends_on ?? {})) expect(dep.condition).toBe('service_healthy');
    }
    expect(Object.keys(services['mongo-express']!.depends_on!)).toEqual(['mongo']);
    expect(Object.keys(services.grafana!.depends_on!)).toEqual(['prometheus']);
  });

  it('runs Kafka in KRaft mode with explicit topic creation', () => {
    const env = services.kafka!.environment!;
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toMatch(/^1@/);
    expect(env.KAFKA_ADVERTISED_LISTENERS).toContain('localhost:9092');
    expect(env.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });

  it('runs Redis without a password and with FLUSHDB and FLUSHALL disabled', () => {
    const cmd = services.redis!.command!.join(' ');
    expect(cmd).toContain('--rename-command FLUSHDB ');
    expect(cmd).toContain('--rename-command FLUSHALL ');
    expect(cmd).not.toContain('requirepass');
    expect(services.redis!.environment!.ALLOW_EMPTY_PASSWORD).toBe('yes');
  });

  it('points Mongo Express at the mongo service', () => {
    expect(services['mongo-express']!.environment!.ME_CONFIG_MONGODB_URL).toBe('mongodb://mongo:27017/');
  });

  it('keeps data in named volumes, and every mounted file exists', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (source.startsWith('./')) expect(fs.existsSync(path.join(REPO_ROOT, source))).toBe(true);
        else expect([name, Object.keys(compose.volumes)]).toEqual([name, expect.arrayContaining([source])]);
      }
    }
    for (const db of ['mongo', 'redis', 'kafka']) expect(services[db]!.volumes!.length).toBeGreaterThan(0);
  });
});
