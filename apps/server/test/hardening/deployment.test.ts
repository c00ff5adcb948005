// Deployment files: docker-compose.yml (validated by `docker compose config` when the compose
// plugin is present), the k8s manifests (by `kubectl kustomize` when kubectl is present), and, always,
// their structure as read by the `yaml` package (checked against PyYAML's `yq` when present):
// services, probes, grace periods, resources, and configuration the platform actually accepts.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '@automl-stream/config';
import { describe, expect, it } from 'vitest';
import { newApiKey, repoRoot } from './harness.ts';
import { readYamlDocuments } from './yaml-documents.ts';

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped documents
type Doc = Record<string, any>;

const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const k8sFiles = readdirSync(path.join(repoRoot, 'k8s'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => `k8s/${f}`);
const yamlFiles = ['docker-compose.yml', ...k8sFiles];

/** Runs a command; null when the tool is not installed or cannot do its job here. */
function tryRun(command: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(command, args, {
    cwd: repoRoot,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  if (result.error) return null;
  return result;
}

/** Every setting the platform declares (the keys of its environment model). */
const declaredSettings = new Set(
  [...read('packages/config/src/environment.ts').matchAll(/^ {2}([A-Z][A-Z0-9_]+): /gm)].map((m) => m[1]!),
);

const seconds = (duration: string) => {
  const match = /^(\d+)(s|m)$/.exec(duration);
  if (!match) throw new Error(`unreadable duration "${duration}"`);
  return Number(match[1]) * (match[2] === 'm' ? 60 : 1);
};

describe('deployment files', () => {
  it('are read the same by the yaml package and by PyYAML (yq), when yq is installed', (context) => {
    const probe = tryRun('yq', ['--version']);
    if (!probe || probe.status !== 0) {
      context.skip();
      return;
    }
    for (const file of yamlFiles) {
      const theirs = JSON.parse(
        execFileSync('yq', ['-s', '.', file], { cwd: repoRoot, encoding: 'utf8' }),
      ) as unknown;
      expect(readYamlDocuments(read(file)), file).toEqual(theirs);
    }
  });

  it('docker compose config accepts the compose file, when the compose plugin is installed', (context) => {
    const probe = tryRun('docker', ['compose', 'version']);
    if (!probe || probe.status !== 0) {
      // The docker client here has no compose plugin (`docker: unknown command: docker compose`).
      context.skip();
      return;
    }
    const secrets = {
      ADMIN_API_KEY: newApiKey(),
      POSTGRES_PASSWORD: 'p0stgres-secret',
      AUTOML_OWNER_DB_PASSWORD: '0wner-secret',
      AUTOML_APP_DB_PASSWORD: 'app-secret',
    };
    const result = tryRun(
      'docker',
      ['compose', '-f', 'docker-compose.yml', 'config', '--format', 'json'],
      secrets,
    )!;
    expect(result.status, result.stderr).toBe(0);
    const config = JSON.parse(result.stdout) as { services: Record<string, unknown> };
    expect(Object.keys(config.services).sort()).toEqual(
      ['dashboard', 'gateway', 'migrate', 'postgres', 'server-1', 'server-2', 'worker-1', 'worker-2'].sort(),
    );
    for (const name of Object.keys(secrets)) {
      const missing = tryRun('docker', ['compose', '-f', 'docker-compose.yml', 'config'], {
        ...secrets,
        [name]: '',
      })!;
      expect(missing.status, name).not.toBe(0);
      expect(missing.stderr).toMatch(new RegExp(`set ${name}`));
    }
  });

  it('kubectl kustomize builds the manifests, when kubectl is installed', (context) => {
    const result = tryRun('kubectl', ['kustomize', 'k8s']);
    if (!result || (result.status !== 0 && /not found|unknown command/i.test(result.stderr))) {
      context.skip();
      return;
    }
    expect(result.status, result.stderr).toBe(0);
    const built = readYamlDocuments(result.stdout) as Doc[];
    expect(built.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      'ConfigMap/automl-stream-config',
      'Deployment/automl-stream-dashboard',
      'Deployment/automl-stream-server',
      'Deployment/automl-stream-worker',
      'Job/automl-stream-migrate',
      'NetworkPolicy/automl-stream-dashboard-web',
      'NetworkPolicy/automl-stream-default-deny',
      'NetworkPolicy/automl-stream-server-api',
      'NetworkPolicy/automl-stream-worker-probe',
      'PodDisruptionBudget/automl-stream-server',
      'PodDisruptionBudget/automl-stream-worker',
      'Service/automl-stream-dashboard',
      'Service/automl-stream-server',
    ]);
  });

  describe('docker-compose.yml', () => {
    const [compose] = readYamlDocuments(read('docker-compose.yml')) as Doc[];
    const services = compose!.services as Record<string, Doc>;

    it('runs Postgres, a migrate step, two server replicas behind one port, two workers and the dashboard', () => {
      expect(Object.keys(services).sort()).toEqual(
        [
          'dashboard',
          'gateway',
          'migrate',
          'postgres',
          'server-1',
          'server-2',
          'worker-1',
          'worker-2',
        ].sort(),
      );
      expect(services.postgres!.healthcheck.test.join(' ')).toMatch(/pg_isready/);
      for (const name of ['server-1', 'server-2']) {
        const s = services[name]!;
        expect(s.command).toEqual(['node', '--import', 'tsx', 'apps/server/src/main.ts']);
        expect(s.environment.WORKERS).toBe('false');
        expect(s.healthcheck.test.join(' ')).toMatch(/127\.0\.0\.1:4000\/ready/);
        expect(s.depends_on).toEqual({
          postgres: { condition: 'service_healthy' },
          migrate: { condition: 'service_completed_successfully' },
        });
        expect(s.ports).toBeUndefined(); // reached only through the gateway
      }
      for (const name of ['worker-1', 'worker-2']) {
        const w = services[name]!;
        expect(w.command).toEqual(['node', '--import', 'tsx', 'apps/worker/src/main.ts']);
        expect(w.environment.WORKERS).toBeUndefined(); // workers on (the default)
        // The worker's own probe, inside its container: WORKER_PORT, liveness on /health.
        expect(w.environment.WORKER_PORT).toBe('4100');
        expect(w.healthcheck.test.join(' ')).toMatch(/fetch\('http:\/\/127\.0\.0\.1:4100\/health'\)/);
        expect(w.healthcheck.interval).toBe('10s');
        expect(w.ports).toBeUndefined();
        const config = loadConfig({ ...w.environment, ADMIN_API_KEY: newApiKey() });
        expect(config.workers.port).toBe(4100);
      }
      const gateway = services.gateway!;
      // Plain HTTP: published on the loopback interface unless API_PUBLISH says otherwise.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's interpolation, kept literally
      expect(gateway.ports).toEqual(['${API_PUBLISH:-127.0.0.1:4000}:4000']);
      expect(gateway.depends_on).toEqual({
        'server-1': { condition: 'service_healthy' },
        'server-2': { condition: 'service_healthy' },
      });
      expect(gateway.healthcheck.test.join(' ')).toMatch(/127\.0\.0\.1:4000\/health/);
      expect(services.dashboard!.command).toEqual(['node', 'apps/dashboard/build/index.js']);
      // The dashboard's server proxies GraphQL to the gateway; browsers never get a key (H1).
      expect(services.dashboard!.environment.GRAPHQL_URL).toBe('http://gateway:4000/graphql');
      // No admin key as its default any more: empty unless a reader key is given.
      expect(services.dashboard!.environment.DASHBOARD_API_KEY).toMatch(/^\$\{DASHBOARD_API_KEY:-\}$/);
      expect(services.dashboard!.ports).toEqual(['127.0.0.1:8050:8050']);
      expect(services.dashboard!.healthcheck.test.join(' ')).toMatch(/127\.0\.0\.1:8050\/health/);
    });

    it('gives the platform a configuration it accepts, with only declared settings and a required admin key', () => {
      for (const name of ['server-1', 'worker-1']) {
        const env = services[name]!.environment as Record<string, string>;
        for (const key of Object.keys(env))
          expect(declaredSettings.has(key), `${name}: ${key} is a setting`).toBe(true);
        // Only servers register the admin key; a worker holds no API key at all (audit L10).
        if (name.startsWith('server')) expect(env.ADMIN_API_KEY).toMatch(/^\$\{ADMIN_API_KEY:\?/);
        else expect(env.ADMIN_API_KEY).toBeUndefined();
        const config = loadConfig({ ...env, ADMIN_API_KEY: newApiKey() });
        expect(config.env).toBe('production');
        expect(config.auth.enabled).toBe(true);
        // The platform listens on loopback unless told; the gateway reaches the replicas from outside.
        expect(config.server.host).toBe('0.0.0.0');
        // The app role, its password from a required variable (audit M14).
        expect(config.database.url).toMatch(
          /^postgres:\/\/automl_app:\$\{AUTOML_APP_DB_PASSWORD:\?set AUTOML_APP_DB_PASSWORD .*\}@postgres:5432\/automl$/,
        );
        // Docker sends SIGKILL after stop_grace_period: the graceful shutdown must fit in it.
        expect(seconds(services[name]!.stop_grace_period) * 1000, name).toBeGreaterThan(
          config.limits.shutdownTimeoutMs + 5_000,
        );
      }
    });

    it('has nginx balance both replicas, pass WebSocket upgrades, and accept bodies up to BODY_LIMIT_BYTES', () => {
      const nginx = read('deploy/nginx.conf');
      expect(compose!.services.gateway.volumes).toEqual([
        './deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro',
      ]);
      expect([...nginx.matchAll(/^\s*server (server-\d):4000;/gm)].map((m) => m[1])).toEqual([
        'server-1',
        'server-2',
      ]);
      expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
      expect(nginx).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
      const [, size, unit] = /client_max_body_size (\d+)([km]?);/.exec(nginx)!;
      const nginxBytes = Number(size) * (unit === 'm' ? 1024 * 1024 : unit === 'k' ? 1024 : 1);
      const config = loadConfig({ ...services['server-1']!.environment, ADMIN_API_KEY: newApiKey() });
      expect(nginxBytes).toBeGreaterThanOrEqual(config.limits.bodyLimitBytes);
    });

    it('keeps the superuser and the schema owner away from the app: a migrate step owns the DDL (M14)', () => {
      const postgres = services.postgres!;
      expect(postgres.environment.POSTGRES_USER).toBe('postgres');
      for (const secret of ['POSTGRES_PASSWORD', 'AUTOML_OWNER_DB_PASSWORD', 'AUTOML_APP_DB_PASSWORD'])
        expect(postgres.environment[secret], secret).toMatch(
          new RegExp(`^\\$\\{${secret}:\\?set ${secret} `),
        );
      expect(postgres.volumes).toContain(
        './deploy/postgres-roles.sh:/docker-entrypoint-initdb.d/10-roles.sh:ro',
      );
      const roles = read('deploy/postgres-roles.sh');
      for (const role of ['automl_owner', 'automl_app'])
        expect(roles).toMatch(
          new RegExp(`create role ${role} login nosuperuser nocreatedb nocreaterole password`),
        );
      expect(roles).toMatch(/revoke create on schema public from public;/);

      const migrate = services.migrate!;
      expect(migrate.command).toEqual(['node', '--import', 'tsx', 'deploy/migrate.ts']);
      expect(migrate.restart).toBe('no');
      expect(migrate.environment.DATABASE_URL).toMatch(
        /^postgres:\/\/automl_owner:\$\{AUTOML_OWNER_DB_PASSWORD:\?/,
      );
      expect(migrate.environment.DATABASE_APP_ROLE).toBe('automl_app');
      const migrateConfig = loadConfig(migrate.environment);
      expect(migrateConfig.database.appRole).toBe('automl_app');
      for (const name of ['server-1', 'server-2', 'worker-1', 'worker-2']) {
        expect(services[name]!.environment.DATABASE_URL, name).toMatch(/^postgres:\/\/automl_app:/);
        expect(services[name]!.depends_on.migrate, name).toEqual({
          condition: 'service_completed_successfully',
        });
      }
      // No password is written in the file itself.
      expect(read('docker-compose.yml')).not.toMatch(/postgres:\/\/[a-z_]+:[^$]/);
    });

    it('hardens the containers: read-only root, no capabilities, no privilege gain, bounded resources (L10)', () => {
      for (const name of ['migrate', 'server-1', 'server-2', 'worker-1', 'worker-2', 'gateway']) {
        const service = services[name]!;
        expect(service.read_only, name).toBe(true);
        expect(service.cap_drop, name).toEqual(['ALL']);
        expect(service.security_opt, name).toContain('no-new-privileges:true');
        expect(service.mem_limit, name).toMatch(/^\d+[mg]$/);
        expect(service.pids_limit, name).toBeGreaterThan(0);
        expect(service.tmpfs, name).toContain(name === 'gateway' ? '/var/cache/nginx' : '/tmp');
      }
      expect(services.postgres!.security_opt).toContain('no-new-privileges:true');
      expect(services.postgres!.mem_limit).toMatch(/^\d+[mg]$/);
    });

    it('builds one image whose dependency stage copies every workspace package manifest', () => {
      const dockerfile = read('deploy/Dockerfile');
      expect(compose!['x-app'].build).toEqual({ context: '.', dockerfile: 'deploy/Dockerfile' });
      const manifests = ['apps', 'packages'].flatMap((dir) =>
        readdirSync(path.join(repoRoot, dir), { withFileTypes: true })
          .filter((d) => d.isDirectory())
          .map((d) => `${dir}/${d.name}/package.json`)
          .filter((f) => {
            try {
              read(f);
              return true;
            } catch {
              return false;
            }
          }),
      );
      expect(manifests.length).toBeGreaterThanOrEqual(10);
      for (const manifest of manifests) {
        expect(dockerfile, `${manifest} is copied before pnpm install`).toContain(
          `COPY ${manifest} ${path.dirname(manifest)}/`,
        );
      }
      expect(dockerfile).toMatch(/^USER node$/m);
      // Whoever runs the image (docker run, compose, k8s) is reached from outside the container.
      expect(dockerfile).toMatch(/^ENV HOST=0\.0\.0\.0$/m);
      expect(loadConfig({}).server.host).toBe('127.0.0.1');
      expect(dockerfile).toMatch(/^CMD \["node", "--import", "tsx", "apps\/server\/src\/main\.ts"\]$/m);
    });
  });

  describe('k8s manifests', () => {
    const docs = k8sFiles.flatMap((file) =>
      (readYamlDocuments(read(file)) as Doc[]).map((doc) => ({ file, doc })),
    );
    const resources = docs.filter(({ doc }) => doc.kind !== 'Kustomization');
    const byKind = (kind: string) => resources.filter(({ doc }) => doc.kind === kind).map(({ doc }) => doc);
    const deployment = (name: string) => byKind('Deployment').find((d) => d.metadata.name === name)!;

    it('each document names its apiVersion, kind and metadata.name', () => {
      expect(resources.length).toBe(14);
      for (const { file, doc } of resources) {
        expect(typeof doc.apiVersion, file).toBe('string');
        expect(typeof doc.kind, file).toBe('string');
        expect(doc.metadata?.name, file).toMatch(/^automl-stream-[a-z-]+$/);
      }
      expect(
        byKind('Deployment')
          .map((d) => d.metadata.name)
          .sort(),
      ).toEqual(['automl-stream-dashboard', 'automl-stream-server', 'automl-stream-worker']);
      expect(
        byKind('Service')
          .map((d) => d.metadata.name)
          .sort(),
      ).toEqual(['automl-stream-dashboard', 'automl-stream-server']);
      const [kustomization] = docs.filter(({ doc }) => doc.kind === 'Kustomization').map(({ doc }) => doc);
      expect(kustomization!.resources.sort()).toEqual([
        'configmap.yaml',
        'dashboard.yaml',
        'migrate-job.yaml',
        'network-policy.yaml',
        'pdb.yaml',
        'server.yaml',
        'worker.yaml',
      ]);
    });

    it('every Deployment selects its own pods and requests CPU and memory', () => {
      for (const d of byKind('Deployment')) {
        const name = d.metadata.name;
        const labels = d.spec.template.metadata.labels;
        for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) expect(labels[k], name).toBe(v);
        for (const c of d.spec.template.spec.containers) {
          expect(c.resources.requests.cpu, name).toBeDefined();
          expect(c.resources.requests.memory, name).toBeDefined();
          expect(c.securityContext?.allowPrivilegeEscalation, name).toBe(false);
        }
        expect(d.spec.template.spec.securityContext?.runAsNonRoot, name).toBe(true);
      }
    });

    it('the server is probed on /health (liveness) and /ready (readiness) and drains before it stops', () => {
      const server = deployment('automl-stream-server');
      const [container] = server.spec.template.spec.containers;
      expect(container.command).toEqual(['node', '--import', 'tsx', 'apps/server/src/main.ts']);
      expect(container.ports).toEqual([{ name: 'http', containerPort: 4000 }]);
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
      expect(container.env).toContainEqual({ name: 'WORKERS', value: 'false' });
      expect(container.lifecycle.preStop.exec.command).toEqual(['sleep', '5']);
      const configMap = byKind('ConfigMap')[0]!;
      const config = loadConfig({
        ...configMap.data,
        DATABASE_URL: 'postgres://x@db:5432/automl',
        ADMIN_API_KEY: newApiKey(),
      });
      const grace = server.spec.template.spec.terminationGracePeriodSeconds * 1000;
      expect(grace).toBeGreaterThan(5_000 + config.limits.shutdownTimeoutMs);
    });

    it('the dashboard is probed on /health; the worker on its probe port, and has time to release its job', () => {
      const [dashboard] = deployment('automl-stream-dashboard').spec.template.spec.containers;
      expect(dashboard.readinessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
      expect(dashboard.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
      // Sign-in by default: no display key from the shared Secret (a reader key is opt-in).
      expect(dashboard.env.map((e: { name: string }) => e.name)).not.toContain('DASHBOARD_API_KEY');
      const worker = deployment('automl-stream-worker');
      const [container] = worker.spec.template.spec.containers;
      expect(container.command).toEqual(['node', '--import', 'tsx', 'apps/worker/src/main.ts']);
      expect(container.ports).toEqual([{ name: 'probe', containerPort: 4100 }]);
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'probe' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'probe' });
      expect(worker.spec.template.metadata.annotations).toEqual({
        'prometheus.io/scrape': 'true',
        'prometheus.io/port': '4100',
        'prometheus.io/path': '/metrics',
      });
      // The port the process opens is the one probed and scraped.
      const configMap = byKind('ConfigMap')[0]!;
      const workerConfig = loadConfig({
        ...configMap.data,
        ...Object.fromEntries(container.env.map((e: Doc) => [e.name, e.value])),
        DATABASE_URL: 'postgres://x@db:5432/automl',
        ADMIN_API_KEY: newApiKey(),
      });
      expect(workerConfig.workers.port).toBe(4100);
      const shutdown = Number(container.env.find((e: Doc) => e.name === 'SHUTDOWN_TIMEOUT_MS').value);
      expect(worker.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
        shutdown + 5_000,
      );
    });

    it('Services target existing pods and ports; env comes from the ConfigMap and Secret that exist', () => {
      for (const service of byKind('Service')) {
        const target = byKind('Deployment').find((d) =>
          Object.entries(service.spec.selector).every(([k, v]) => d.spec.template.metadata.labels[k] === v),
        );
        expect(target, service.metadata.name).toBeDefined();
        const ports = target!.spec.template.spec.containers
          .flatMap((c: Doc) => c.ports ?? [])
          .map((p: Doc) => p.name);
        for (const p of service.spec.ports) expect(ports, service.metadata.name).toContain(p.targetPort);
      }
      const configMaps = byKind('ConfigMap').map((d) => d.metadata.name);
      const secrets = byKind('Secret').map((d) => d.metadata.name);
      for (const d of byKind('Deployment')) {
        for (const c of d.spec.template.spec.containers) {
          for (const from of c.envFrom ?? []) {
            if (from.configMapRef) expect(configMaps).toContain(from.configMapRef.name);
            if (from.secretRef) expect(secrets).toContain(from.secretRef.name);
          }
        }
      }
    });

    it('the ConfigMap holds only declared settings, as strings, that the platform accepts', () => {
      const configMap = byKind('ConfigMap')[0]!;
      for (const [key, value] of Object.entries(configMap.data)) {
        expect(declaredSettings.has(key), `${key} is a setting`).toBe(true);
        expect(typeof value, key).toBe('string');
      }
      const config = loadConfig({
        ...configMap.data,
        DATABASE_URL: 'postgres://x@db:5432/automl',
        ADMIN_API_KEY: newApiKey(),
      });
      expect(config.env).toBe('production');
      expect(config.auth.enabled).toBe(true);
      // Probes and Services reach the pod's address: not the loopback default.
      expect(config.server.host).toBe('0.0.0.0');
    });

    it('the example Secret cannot be applied as is: its admin key is refused by the platform', () => {
      const secret = byKind('Secret')[0]!;
      expect(Object.keys(secret.stringData).sort()).toEqual([
        'ADMIN_API_KEY',
        'DATABASE_OWNER_URL',
        'DATABASE_URL',
      ]);
      // A placeholder that were a valid key would be a public admin key; this one makes the server
      // refuse to start until it is replaced (ApiKeys.ensure checks the format).
      expect(secret.stringData.ADMIN_API_KEY).not.toMatch(/^ams_[a-z0-9]{8}_[A-Za-z0-9_-]{32}$/);
      expect(secret.stringData.ADMIN_API_KEY).toMatch(/CHANGE_ME/);
      // Completed to the key format, the placeholder is still refused (audit M11).
      const completed = `${secret.stringData.ADMIN_API_KEY}x`;
      expect(completed).toMatch(/^ams_[a-z0-9]{8}_[A-Za-z0-9_-]{32}$/);
      expect(() => loadConfig({ ADMIN_API_KEY: completed })).toThrow(
        /ADMIN_API_KEY: looks like a placeholder/,
      );
    });

    const podSpecs = () => [
      ...byKind('Deployment')
        .filter((d) => d.metadata.name !== 'automl-stream-dashboard')
        .map((d) => ({ name: d.metadata.name as string, spec: d.spec.template.spec as Doc })),
      ...byKind('Job').map((j) => ({ name: j.metadata.name as string, spec: j.spec.template.spec as Doc })),
    ];

    it('hardens the server, worker and migrate pods (L10)', () => {
      expect(
        podSpecs()
          .map((p) => p.name)
          .sort(),
      ).toEqual(['automl-stream-migrate', 'automl-stream-server', 'automl-stream-worker']);
      for (const { name, spec } of podSpecs()) {
        expect(spec.automountServiceAccountToken, name).toBe(false);
        expect(spec.securityContext.runAsNonRoot, name).toBe(true);
        expect(spec.securityContext.seccompProfile, name).toEqual({ type: 'RuntimeDefault' });
        const tmp = spec.volumes.find((v: Doc) => v.emptyDir);
        for (const c of spec.containers) {
          expect(c.securityContext, name).toEqual({
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'] },
          });
          expect(c.volumeMounts, name).toContainEqual({ name: tmp.name, mountPath: '/tmp' });
          expect(c.resources.limits.cpu, name).toBeDefined();
          expect(c.resources.limits.memory, name).toBeDefined();
          // Secrets one by one: no pod gets the whole Secret.
          expect(
            (c.envFrom ?? []).some((f: Doc) => f.secretRef),
            name,
          ).toBe(false);
        }
      }
    });

    it('gives each pod only the secrets it uses, from keys the example Secret has (L10, M14)', () => {
      const secret = byKind('Secret')[0]!;
      const secretsOf = (name: string) =>
        podSpecs()
          .find((p) => p.name === name)!
          .spec.containers.flatMap((c: Doc) => c.env ?? [])
          .filter((e: Doc) => e.valueFrom?.secretKeyRef)
          .map((e: Doc) => `${e.name}<-${e.valueFrom.secretKeyRef.key}`)
          .sort();
      expect(secretsOf('automl-stream-server')).toEqual([
        'ADMIN_API_KEY<-ADMIN_API_KEY',
        'DATABASE_URL<-DATABASE_URL',
      ]);
      expect(secretsOf('automl-stream-worker')).toEqual(['DATABASE_URL<-DATABASE_URL']);
      expect(secretsOf('automl-stream-migrate')).toEqual(['DATABASE_URL<-DATABASE_OWNER_URL']);
      for (const d of [...byKind('Deployment'), ...byKind('Job')]) {
        // The dashboard reads settings of its own (ORIGIN, DASHBOARD_API_KEY, ...).
        const platformProcess = d.metadata.name !== 'automl-stream-dashboard';
        for (const c of d.spec.template.spec.containers) {
          for (const e of c.env ?? []) {
            if (platformProcess)
              expect(declaredSettings.has(e.name), `${d.metadata.name}: ${e.name} is a setting`).toBe(true);
            const ref = e.valueFrom?.secretKeyRef;
            if (!ref) continue;
            expect(ref.name).toBe(secret.metadata.name);
            expect(Object.keys(secret.stringData)).toContain(ref.key);
          }
        }
      }
      const [job] = byKind('Job');
      expect(job!.spec.template.spec.containers[0].command).toEqual([
        'node',
        '--import',
        'tsx',
        'deploy/migrate.ts',
      ]);
      expect(job!.spec.template.spec.containers[0].env).toContainEqual({
        name: 'DATABASE_APP_ROLE',
        value: 'automl_app',
      });
      expect(secret.stringData.DATABASE_URL).toMatch(/^postgres:\/\/automl_app:/);
      expect(secret.stringData.DATABASE_OWNER_URL).toMatch(/^postgres:\/\/automl_owner:/);
    });

    it('keeps a server and all but one worker through voluntary disruptions (L10)', () => {
      const budgets = byKind('PodDisruptionBudget');
      const budgetOf = (name: string) =>
        budgets.find((b) => b.spec.selector.matchLabels['app.kubernetes.io/name'] === name)!.spec;
      expect(budgetOf('automl-stream-server')).toMatchObject({ minAvailable: 1 });
      expect(budgetOf('automl-stream-worker')).toMatchObject({ maxUnavailable: 1 });
      expect(deployment('automl-stream-server').spec.replicas).toBeGreaterThan(1);
    });

    it('denies ingress by default and opens each pod only on the ports it serves (L10)', () => {
      const policies = byKind('NetworkPolicy');
      const deny = policies.find((p) => p.metadata.name === 'automl-stream-default-deny')!;
      expect(deny.spec).toEqual({
        podSelector: { matchLabels: { 'app.kubernetes.io/part-of': 'automl-stream' } },
        policyTypes: ['Ingress'],
      });
      for (const d of byKind('Deployment')) {
        const labels = d.spec.template.metadata.labels;
        expect(labels['app.kubernetes.io/part-of']).toBe('automl-stream');
        const ports = d.spec.template.spec.containers
          .flatMap((c: Doc) => c.ports ?? [])
          .map((p: Doc) => p.name);
        const allowed = policies
          .filter((p) => p !== deny)
          .filter((p) => Object.entries(p.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v))
          .flatMap((p) => p.spec.ingress.flatMap((rule: Doc) => rule.ports.map((port: Doc) => port.port)));
        expect(allowed.sort(), d.metadata.name).toEqual(ports.sort());
      }
    });
  });
});
