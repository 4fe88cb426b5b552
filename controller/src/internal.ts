/** @presage/controller internal entry: modules the tests and the demo reach into (not a stable API). */

export * from "./alertmanager/index.js";
export * from "./audit.js";
export * from "./config.js";
export * from "./controller.js";
export * from "./http/assets.js";
export * from "./http/auth.js";
export * from "./http/server.js";
export * from "./metrics/index.js";
export * from "./migration/engine.js";
export * from "./migration/index.js";
export * from "./migration/libvirt/engine.js";
export * from "./migration/libvirt/parse.js";
export * from "./migration/qemu/engine.js";
export * from "./migration/qemu/guest-image.js";
export * from "./migration/qemu/host.js";
export * from "./migration/qemu/host-client.js";
export * from "./migration/qemu/qmp-client.js";
export * from "./migration/remote/engine.js";
export * from "./ops/service.js";
export * from "./store/index.js";
export * from "./telemetry.js";
