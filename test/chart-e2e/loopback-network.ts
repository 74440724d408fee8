import { connect, createServer, type Server, type Socket } from "node:net";
import { freePort } from "#infra";
import { selects, type Container, type Service, type Workload } from "./manifests.js";

/** A pod the harness runs: a replica of a workload, named as the controller would name it. */
export interface PodIdentity {
  name: string;
  workload: Workload;
  /** Each port a container of the pod listens on (containerPort, probe port, a `*_PORT` variable) -> its loopback port. */
  ports: Map<number, number>;
  /** Whether the pod serves: its processes are running (set by the runner). */
  serving: () => boolean;
}

const LOOPBACK = "127.0.0.1";

/** A container port given by number or by the name of one of the pod's container ports. */
export function portNumberOf(containers: Container[], port: number | string): number {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  for (const container of containers)
    for (const declared of container.ports ?? []) if (declared.name === port) return declared.containerPort;
  throw new Error(`no container port named ${port}`);
}

/** Every port the pod's containers listen on, as the manifest says it. */
export function listenPortsOf(workload: Workload): Set<number> {
  const ports = new Set<number>();
  const containers = workload.spec.containers;
  for (const container of containers) {
    for (const declared of container.ports ?? []) ports.add(declared.containerPort);
    for (const probe of [container.readinessProbe, container.startupProbe]) {
      const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
      if (port !== undefined) ports.add(portNumberOf(containers, port));
    }
    for (const variable of container.env ?? [])
      if (variable.name.endsWith("_PORT") && /^\d+$/.test(variable.value ?? "") && Number(variable.value) > 0)
        ports.add(Number(variable.value));
  }
  return ports;
}

/**
 * The cluster network on loopback: every Service port is a TCP proxy on a free loopback port,
 * forwarding each connection to one of the serving pods it selects (round robin, as kube-proxy
 * does); a StatefulSet pod's own DNS name reaches its loopback ports directly.
 */
export class LoopbackNetwork {
  private readonly servers: Server[] = [];
  private readonly servicePorts = new Map<string, Map<number, number>>();
  private readonly sockets = new Set<Socket>();
  private readonly served = new Map<string, number>();

  private constructor(
    private readonly namespace: string,
    private readonly services: Service[],
    private readonly pods: PodIdentity[],
  ) {}

  static async open(namespace: string, services: Service[], pods: PodIdentity[]): Promise<LoopbackNetwork> {
    const network = new LoopbackNetwork(namespace, services, pods);
    for (const service of services) {
      const ports = new Map<number, number>();
      for (const port of service.ports)
        ports.set(port.port, await network.proxy(service, port.targetPort ?? port.port));
      network.servicePorts.set(service.name, ports);
    }
    return network;
  }

  /** The loopback port of a Service's port (what `<service>:<port>` became). */
  servicePort(service: string, port: number): number {
    const local = this.servicePorts.get(service)?.get(port);
    if (local === undefined) throw new Error(`no Service ${service} with port ${port} in the render`);
    return local;
  }

  /** `<svc>[.<ns>[.svc[.cluster.local]]]:<port>` and `<pod>.<svc>...:<port>` -> `127.0.0.1:<loopback port>`. */
  rewriteHosts(text: string): string {
    const domain = `(?:\\.${escape(this.namespace)}(?:\\.svc(?:\\.cluster\\.local)?)?)?`;
    let result = text;
    for (const pod of this.pods) {
      const governing = pod.workload.serviceName;
      if (governing === undefined) continue;
      const name = new RegExp(`(?<![\\w.-])${escape(pod.name)}\\.${escape(governing)}${domain}:(\\d+)\\b`, "g");
      result = result.replace(name, (whole, port: string) => {
        const local = pod.ports.get(Number(port));
        return local === undefined ? whole : `${LOOPBACK}:${local}`;
      });
    }
    for (const service of this.services) {
      const name = new RegExp(`(?<![\\w.-])${escape(service.name)}${domain}:(\\d+)\\b`, "g");
      result = result.replace(name, (whole, port: string) => {
        const local = this.servicePorts.get(service.name)?.get(Number(port));
        return local === undefined ? whole : `${LOOPBACK}:${local}`;
      });
    }
    return result;
  }

  /** How many connections a Service proxy has handed to this pod. */
  connectionsServedBy(pod: string): number {
    return this.served.get(pod) ?? 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(this.servers.map((server) => new Promise((done) => server.close(done))));
  }

  private async proxy(service: Service, targetPort: number | string): Promise<number> {
    let turn = 0;
    const server = createServer((client) => {
      this.track(client);
      const endpoints = this.pods.filter((pod) => selects(service, pod.workload.labels) && pod.serving());
      const pod = endpoints[turn++ % Math.max(endpoints.length, 1)];
      const port = pod && pod.ports.get(portNumberOf(pod.workload.spec.containers, targetPort));
      if (port === undefined) {
        client.destroy();
        return;
      }
      this.served.set(pod!.name, this.connectionsServedBy(pod!.name) + 1);
      const upstream = this.track(connect({ host: LOOPBACK, port }));
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.once("error", close).once("close", close);
      upstream.once("error", close).once("close", close);
    });
    this.servers.push(server);
    const port = await freePort();
    await new Promise<void>((ready, failed) => {
      server.once("error", failed);
      server.listen(port, LOOPBACK, ready);
    });
    return port;
  }

  private track(socket: Socket): Socket {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    return socket;
  }
}

/** Loopback ports for every port the pod listens on. */
export async function allocatePorts(workload: Workload): Promise<Map<number, number>> {
  const ports = new Map<number, number>();
  for (const port of listenPortsOf(workload)) ports.set(port, await freePort());
  return ports;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
