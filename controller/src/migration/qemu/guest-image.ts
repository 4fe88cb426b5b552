/**
 * Tiny test guests with no disk and no download: a multiboot "a.out kludge" image that QEMU's `-kernel`
 * loads at 1 MiB and enters in 32-bit flat protected mode. The code touches one dword in each 4 KiB page
 * of a region (making those pages non-zero, so migration must really send them), then either halts
 * (`fill`) or loops forever (`dirty`), re-dirtying the whole region on every pass; `delayLoops` spins
 * between passes to lower the dirty rate. Machine code is hand-assembled; `objdump -D -b binary -m i386
 * --start-address=32 image.bin` shows it.
 */

export type GuestImageOptions = {
  /** size of the region to fill or dirty, MiB (must fit in guest RAM above 2 MiB) */
  regionMiB: number;
  mode: "fill" | "dirty";
  /** dirty mode: busy-loop iterations between passes (1 = as fast as the vCPU goes) */
  delayLoops?: number;
};

const LOAD_ADDR = 0x100000;
const REGION_START = 0x200000;
const HEADER_BYTES = 32;

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};

export function buildGuestImage(o: GuestImageOptions): Buffer {
  const pages = Math.floor((o.regionMiB * 1024 * 1024) / 4096);
  if (pages < 1) throw new Error("guest image region must be at least one page");
  const magic = 0x1badb002;
  const flags = 0x00010000; // address fields below are valid (not ELF)
  const header = Buffer.concat([
    u32(magic),
    u32(flags),
    u32(-(magic + flags)),
    u32(LOAD_ADDR), // header_addr
    u32(LOAD_ADDR), // load_addr
    u32(0), // load_end_addr: whole file
    u32(0), // bss_end_addr: none
    u32(LOAD_ADDR + HEADER_BYTES), // entry
  ]);
  const pass = Buffer.concat([
    Buffer.from([0xbb]), // 00: mov ebx, REGION_START
    u32(REGION_START),
    Buffer.from([0x89, 0xdf]), // 05 outer: mov edi, ebx
    Buffer.from([0xb9]), // 07: mov ecx, pages
    u32(pages),
    Buffer.from([0xff, 0x07]), // 12 inner: inc dword [edi]
    Buffer.from([0x81, 0xc7, 0x00, 0x10, 0x00, 0x00]), // 14: add edi, 4096
    Buffer.from([0x49]), // 20: dec ecx
    Buffer.from([0x75, 0xf5]), // 21: jnz inner
  ]);
  const tail =
    o.mode === "fill"
      ? Buffer.from([0xfa, 0xf4, 0xeb, 0xfd]) // 23: cli; 24: hlt; 25: jmp hlt
      : Buffer.concat([
          Buffer.from([0xb9]), // 23: mov ecx, delay
          u32(Math.max(1, Math.floor(o.delayLoops ?? 1))),
          Buffer.from([0x49, 0x75, 0xfd]), // 28 delay: dec ecx; jnz delay
          Buffer.from([0xeb, 0xe4]), // 31: jmp outer
        ]);
  return Buffer.concat([header, pass, tail]);
}

/** Guest RAM needed for an image's region (region + the 2 MiB below it), MiB. */
export function guestMemoryFloorMiB(o: GuestImageOptions): number {
  return o.regionMiB + 2;
}
