/** @presage/controller internal entry: modules the tests and the demo reach into (not a stable API). */
export * from "./audit.js";
export * from "./config.js";
export * from "./controller.js";
export * from "./migration/engine.js";
export * from "./migration/guest-image.js";
export * from "./migration/index.js";
export * from "./migration/libvirt.js";
export * from "./migration/qemu-host.js";
export * from "./migration/qemu-host-remote.js";
export * from "./migration/qmp.js";
export * from "./migration/qmp-client.js";
export * from "./migration/remote.js";
export * from "./ops/service.js";
export * from "./store/index.js";
export * from "./telemetry.js";
