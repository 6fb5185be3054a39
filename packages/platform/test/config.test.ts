import { ConfigError, connectionShape, env, loadConfig } from '../src/config';

describe('loadConfig', () => {
  const shape = { PORT: env.port(9000), FLAG: env.bool(false), BROKERS: env.list('a:1,b:2') };

  it('applies defaults, and treats empty strings as unset', () => {
    expect(loadConfig(shape, { PORT: '' })).toEqual({ PORT: 9000, FLAG: false, BROKERS: ['a:1', 'b:2'] });
  });

  it('coerces values from strings', () => {
    expect(loadConfig(shape, { PORT: '8080', FLAG: 'yes', BROKERS: ' x:1 , y:2 ,' })).toEqual({
      PORT: 8080,
      FLAG: true,
      BROKERS: ['x:1', 'y:2'],
    });
  });

  it('fails fast naming every bad variable and its value', () => {
    let error: unknown;
    try {
      loadConfig(shape, { PORT: '70000', FLAG: 'maybe' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toHaveLength(2);
    expect(message).toMatch(/PORT: .*\(got "70000"\)/);
    expect(message).toMatch(/FLAG: .*\(got "maybe"\)/);
  });

  it('rejects server addresses that do not parse, naming each variable (a server that is down is waited for instead)', () => {
    expect(() => loadConfig(connectionShape, { MONGO_URL: 'localhost:27017' })).toThrow(/MONGO_URL: must be a mongodb:\/\/ or mongodb\+srv:\/\/ URL/);
    expect(() => loadConfig(connectionShape, { REDIS_URL: 'http://redis:6379' })).toThrow(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => loadConfig(connectionShape, { KAFKA_BROKERS: 'kafka:9092,kafka' })).toThrow(/KAFKA_BROKERS: must be host:port/);
    expect(loadConfig(connectionShape, { MONGO_URL: 'mongodb+srv://u:p@cluster.example.org/db', REDIS_URL: 'rediss://:pw@cache:6380/1', KAFKA_BROKERS: 'a:9092, b:9093' })).toMatchObject({
      KAFKA_BROKERS: ['a:9092', 'b:9093'],
    });
  });

  it('gives every process the same local defaults for the platform servers', () => {
    expect(loadConfig(connectionShape, {})).toEqual({
      MONGO_URL: 'mongodb://127.0.0.1:27017/userforge',
      REDIS_URL: 'redis://127.0.0.1:6379',
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      LOG_LEVEL: 'info',
    });
  });
});
