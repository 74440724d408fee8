import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Container, KeyFiles, Volume, VolumeMount } from "./manifests.js";

/** Where the harness finds the content of Secrets and ConfigMaps a pod mounts. */
export interface ObjectStore {
  secrets: Map<string, KeyFiles>;
  configMaps: Map<string, KeyFiles>;
}

/** How a ConfigMap's text is made to work on this machine (paths, Service names, ports). */
export type TextRewrite = (text: string) => string;

/**
 * A pod's volumes on this machine, under `podDir`: Secret and ConfigMap volumes are written out per
 * container (a ConfigMap's text rewritten for that container), emptyDir and claim volumes are
 * folders shared by the pod's containers, a hostPath is the host's own path. Each container sees its
 * mounts under its own root (`podDir/fs/<container>` + mountPath), so nested mounts and a config
 * file's relative includes resolve as in the pod.
 */
export class PodVolumes {
  constructor(
    private readonly podDir: string,
    private readonly volumes: Volume[],
    private readonly store: ObjectStore,
    /** A claim template's (or a named claim's) folder: kept per pod, or shared by name. */
    private readonly claimDir: (claimName: string) => string,
  ) {}

  /** The folder a container's paths are rooted at. */
  rootOf(container: Container): string {
    return join(this.podDir, "fs", container.name);
  }

  /** Makes the container's mounts; `rewrite` is applied to ConfigMap files as they are written. */
  mount(container: Container, rewrite: TextRewrite): void {
    const root = this.rootOf(container);
    mkdirSync(root, { recursive: true });
    const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => a.mountPath.length - b.mountPath.length);
    for (const mount of mounts) this.mountOne(root, mount, rewrite);
  }

  private mountOne(root: string, mount: VolumeMount, rewrite: TextRewrite): void {
    const volume = this.volumes.find((v) => v.name === mount.name);
    const claim = volume === undefined ? this.claimDir(mount.name) : this.sharedFolderOf(volume);
    const target = join(root, mount.mountPath);
    mkdirSync(dirname(target), { recursive: true });
    if (claim !== null) {
      const source = mount.subPath ? join(claim, mount.subPath) : claim;
      if (!existsSync(source)) mkdirSync(source, { recursive: true });
      symlinkSync(source, target);
      return;
    }
    const files = this.filesOf(volume!, rewrite);
    if (mount.subPath) {
      const content = files.get(mount.subPath);
      if (content === undefined) throw new Error(`volume ${mount.name} has no ${mount.subPath} to mount`);
      writeFileSync(target, content.text, { mode: content.mode });
      return;
    }
    mkdirSync(target, { recursive: true });
    for (const [path, content] of files) {
      mkdirSync(dirname(join(target, path)), { recursive: true });
      writeFileSync(join(target, path), content.text, { mode: content.mode });
    }
  }

  /** A writable or host folder (emptyDir, claim, hostPath); null for Secret/ConfigMap content. */
  private sharedFolderOf(volume: Volume): string | null {
    if (volume.hostPath) return volume.hostPath.path;
    if (volume.persistentVolumeClaim) return this.claimDir(volume.persistentVolumeClaim.claimName);
    if (volume.emptyDir) {
      const dir = join(this.podDir, "volumes", volume.name);
      mkdirSync(dir, { recursive: true });
      return dir;
    }
    return null;
  }

  private filesOf(volume: Volume, rewrite: TextRewrite): Map<string, { text: string; mode: number }> {
    const sources = volume.projected
      ? volume.projected.sources
      : [
          {
            secret: volume.secret && { ...volume.secret, name: volume.secret.secretName },
            configMap: volume.configMap,
          },
        ];
    const files = new Map<string, { text: string; mode: number }>();
    for (const source of sources) {
      const ref = source.secret ?? source.configMap;
      if (!ref) throw new Error(`volume ${volume.name}: a kind of volume the harness does not run`);
      const isSecret = source.secret !== undefined;
      const content = (isSecret ? this.store.secrets : this.store.configMaps).get(ref.name);
      if (content === undefined) {
        if ((ref as { optional?: boolean }).optional === true) continue;
        throw new Error(`volume ${volume.name}: no ${isSecret ? "Secret" : "ConfigMap"} ${ref.name}`);
      }
      const items = ref.items ?? [...content.keys()].map((key) => ({ key, path: key, mode: undefined }));
      for (const item of items) {
        const text = content.get(item.key);
        if (text === undefined) throw new Error(`volume ${volume.name}: ${ref.name} has no key ${item.key}`);
        files.set(item.path, { text: isSecret ? text : rewrite(text), mode: 0o600 });
      }
    }
    return files;
  }
}

/**
 * Rewrites the absolute paths a container names (in variables, arguments, config files) to where
 * its mounts are on this machine: every mountPath at a path boundary, the longest that matches, in
 * one pass (a rewritten path is never rewritten again, though the run's folder is under /tmp).
 */
export function pathRewrite(root: string, container: Container, extra: ReadonlyArray<[string, string]>): TextRewrite {
  const targets = new Map<string, string>(extra);
  for (const mount of container.volumeMounts ?? []) {
    const path = mount.mountPath.replace(/\/+$/, "");
    targets.set(path, join(root, path));
  }
  const alternatives = [...targets.keys()]
    .sort((a, b) => b.length - a.length)
    .map((path) => path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  if (alternatives.length === 0) return (text) => text;
  const pattern = new RegExp(`(?<![\\w./-])(${alternatives.join("|")})(?=$|[/"'\\s,;:})\\]])`, "g");
  return (text) => text.replace(pattern, (path: string) => targets.get(path)!);
}
