import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Argv } from "yargs";
import { stringify } from "yaml";
import { clusterSecrets, type SecretManifest } from "./cluster-secrets.js";

interface InitArgs {
  release: string;
  namespace?: string;
  out: string;
  tls: boolean;
  tlsHost: string[];
  clusterDomain: string;
}

/** Kubernetes names: lowercase letters, digits and '-', starting and ending alphanumeric. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `specfleet secrets …`: the secrets a cluster fleet (helm/specfleet) needs, made where no chart can make them. */
export function secretsCommands(yargs: Argv): Argv {
  return yargs
    .command(
      "init",
      "Make the NATS authority, credentials, Redis passwords, tokens (and TLS) of a cluster fleet as Kubernetes Secrets",
      (init) =>
        init
          .option("release", {
            type: "string",
            default: "specfleet",
            describe: "The chart's fullname: the Secrets are named <release>-registry, <release>-gateway, …",
          })
          .option("namespace", { type: "string", describe: "The namespace written into each Secret" })
          .option("out", {
            type: "string",
            default: "specfleet-secrets",
            describe: "Folder for secrets.yaml and the state kept between runs (mode 0700; keep it safe)",
          })
          .option("tls", {
            type: "boolean",
            default: false,
            describe: "Also make a CA and a certificate for the in-cluster NATS (<release>-nats-tls)",
          })
          .option("tls-host", {
            type: "string",
            array: true,
            default: [],
            describe: "Another name the NATS certificate is for (the edge listener's public name); repeatable",
          })
          .option("cluster-domain", {
            type: "string",
            default: "cluster.local",
            describe: "The cluster's DNS domain (the chart's clusterDomain), for the certificate's names",
          })
          .check((args) => {
            if (!DNS_LABEL.test(args.release) || args.release.length > 40)
              throw new Error(`--release '${args.release}': lowercase letters, digits and '-', at most 40 characters`);
            if (args.namespace !== undefined && !DNS_LABEL.test(args.namespace))
              throw new Error(`--namespace '${args.namespace}' is not a Kubernetes namespace name`);
            if (args["tls-host"].length > 0 && !args.tls) throw new Error("--tls-host needs --tls");
            return true;
          })
          .example(
            "$0 secrets init --release specfleet --namespace ai --tls && kubectl apply -f specfleet-secrets/secrets.yaml",
            "",
          ),
      (args) => initSecrets(args as unknown as InitArgs),
    )
    .demandCommand(1, "Say what to do: specfleet secrets init");
}

async function initSecrets(args: InitArgs): Promise<void> {
  const out = resolve(args.out);
  mkdirSync(out, { recursive: true, mode: 0o700 });
  chmodSync(out, 0o700);
  const manifests = await clusterSecrets({
    prefix: args.release,
    namespace: args.namespace,
    stateDir: join(out, "state"),
    tlsHosts: args.tls ? natsHosts(args.release, args.namespace, args.tlsHost, args.clusterDomain) : undefined,
  });
  const file = join(out, "secrets.yaml");
  writeFileSync(file, manifestsYaml(manifests), { mode: 0o600 });
  chmodSync(file, 0o600);
  const ns = args.namespace === undefined ? "" : ` -n ${args.namespace}`;
  process.stdout.write(
    [
      `specfleet secrets: ${manifests.length} Secrets in ${file} (mode 0600; values not shown):`,
      ...manifests.map((m) => `  ${m.metadata.name}: ${Object.keys(m.stringData).join(", ")}`),
      `kept in ${join(out, "state")}: run again with the same --out to make the same fleet's Secrets (an upgrade).`,
      `next: kubectl apply${ns} -f ${file}  then  helm install … --set secrets.prefix=${args.release}`,
      "",
    ].join("\n"),
  );
}

/** The names the in-cluster NATS answers to: its Services, short and fully qualified, and any given. */
export function natsHosts(
  release: string,
  namespace: string | undefined,
  extra: readonly string[],
  clusterDomain = "cluster.local",
): string[] {
  const services = [`${release}-nats`, `${release}-nats-edge`];
  const inNamespace = (name: string) =>
    namespace === undefined
      ? []
      : [`${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.${clusterDomain}`];
  // Replicas reach each other (cluster routes) by their pods' names under the headless Service.
  const pods = namespace === undefined ? [] : [`*.${release}-nats-headless.${namespace}.svc.${clusterDomain}`];
  return [...new Set([...services, ...services.flatMap(inNamespace), ...pods, ...extra, "localhost", "127.0.0.1"])];
}

/** One YAML document per Secret. */
export function manifestsYaml(manifests: readonly SecretManifest[]): string {
  return manifests.map((m) => `---\n${stringify(m, { lineWidth: 0 })}`).join("");
}
