/** The controller's durable state: one KV bucket per record kind (host state in presage-hosts, docs/contract.md 4). */
import { Kvm } from "@nats-io/kv";
import {
  type Alert,
  alertCheck,
  type Check,
  type HostRecord,
  hostRecordCheck,
  KV_CONTROL,
  KV_HOSTS,
  KV_VMS,
  type Logger,
  type Metrics,
  type MigrationRecord,
  migrationRecordCheck,
  type NatsConnection,
  type Plan,
  planCheck,
  raiseReplicas,
  type VmRecord,
  vmRecordCheck,
} from "@presage/shared";
import { CachedBucket } from "./bucket.js";
import { StreamWriter } from "./writer.js";

export const KV_ALERTS = "presage-alerts";
export const KV_MIGRATIONS = "presage-migrations";
export const KV_PLANS = "presage-plans";

export type Store = {
  hosts: CachedBucket<HostRecord>;
  vms: CachedBucket<VmRecord>;
  alerts: CachedBucket<Alert>;
  migrations: CachedBucket<MigrationRecord>;
  plans: CachedBucket<Plan>;
  load(): Promise<void>;
  flush(): Promise<void>;
  /** stop (or resume) retrying writes */
  close(): void;
  reopen(): void;
};

/** A bucket with `replicas` copies; one created before the deployment became a cluster is raised to it. */
async function bucket(nc: NatsConnection, name: string, history: number, replicas: number) {
  const kv = await new Kvm(nc).create(name, { history, replicas });
  await raiseReplicas(nc, `KV_${name}`, replicas);
  return kv;
}

export async function openStore(nc: NatsConnection, log: Logger, metrics?: Metrics, replicas = 1): Promise<Store> {
  const writer = new StreamWriter(nc);
  const open = async <T>(name: string, check: Check) =>
    new CachedBucket<T>(await bucket(nc, name, 5, replicas), writer, name, check, log, metrics);
  const s = {
    hosts: await open<HostRecord>(KV_HOSTS, hostRecordCheck),
    vms: await open<VmRecord>(KV_VMS, vmRecordCheck),
    alerts: await open<Alert>(KV_ALERTS, alertCheck),
    migrations: await open<MigrationRecord>(KV_MIGRATIONS, migrationRecordCheck),
    plans: await open<Plan>(KV_PLANS, planCheck),
  };
  const all = Object.values(s) as CachedBucket<unknown>[];
  return {
    ...s,
    load: async () => {
      await Promise.all(all.map((b) => b.load()));
    },
    flush: async () => {
      await Promise.all(all.map((b) => b.flush()));
    },
    close: () => {
      for (const b of all) b.close();
    },
    reopen: () => {
      for (const b of all) b.reopen();
    },
  };
}

export async function openControlBucket(nc: NatsConnection, replicas = 1) {
  return bucket(nc, KV_CONTROL, 1, replicas);
}
