// Devices are whatever registered by name (src/kernels/registry.ts); the tensor layer reaches them
// only through backendFor and the Backend interface. A fake device registered here holds tensors,
// reads them back and frees them, unknown and unacquired devices are DeviceErrors naming why, and
// torch.init() picks the default as before: the highest-priority device available, with a warning
// naming a missing preferred one, and FINETORCH_DEVICE=cpu acquiring nothing else.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend, DType, HostArray, Storage } from '../../src/kernels/backend.js';
import { acquireBackends, backendFor, devices, isAvailable, registerBackend } from '../../src/kernels/registry.js';
import { torch } from '../harness.js';

/** A device with memory but no kernels: storages are host arrays, every kernel call fails. */
function fakeBackend(name: string): Backend & { released: number } {
  const memory = {
    device: name,
    dispatches: 0,
    released: 0,
    alloc: (length: number, dtype: DType): Storage => ({
      device: name as torch.Device,
      dtype,
      length,
      refs: 0,
      released: false,
      handle: dtype === 'float32' ? new Float32Array(length) : new Int32Array(length),
    }),
    upload(data: HostArray, dtype: DType): Storage {
      const s = memory.alloc(data.length, dtype);
      (s.handle as HostArray).set(data);
      return s;
    },
    release(s: Storage) {
      s.released = true;
      memory.released++;
    },
    read: async (s: Storage, offset: number, length: number) => (s.handle as HostArray).slice(offset, offset + length),
    flush() {},
    memory: () => ({ pooledBytes: 0 }),
  };
  return new Proxy(memory, {
    get(target, key) {
      if (key in target) return target[key as keyof typeof target];
      if (key === 'then' || typeof key === 'symbol') return undefined; // not a promise
      return () => {
        throw new Error(`fake device: no kernel ${String(key)}`);
      };
    },
  }) as unknown as Backend & { released: number };
}

describe('backend registry', () => {
  it('a backend registered by name holds tensors; the tensor layer needs nothing else', async () => {
    const fake = fakeBackend('fake');
    registerBackend('fake', fake);
    expect(devices()).toEqual(['cpu', 'webgpu', 'fake']);
    expect(backendFor('fake')).toBe(fake);
    expect(torch.isAvailable('fake' as torch.Device)).toBe(true);
    const t = torch.tensor(new Float32Array([1, 2, 3]), { device: 'fake' as torch.Device });
    expect(t.device).toBe('fake');
    expect(Array.from(await t.data())).toEqual([1, 2, 3]);
    expect(torch.memory()['fake' as torch.Device]).toMatchObject({ liveTensors: 1, liveBytes: 12, pooledBytes: 0 });
    t.dispose();
    expect(fake.released).toBe(1);
    expect(torch.memory()['fake' as torch.Device].liveTensors).toBe(0);
    // a string that names a registered device moves the tensor; any other is a dtype
    const c = torch.tensor([4, 5], { device: 'cpu' }).to('fake' as torch.Device);
    expect(c.device).toBe('fake');
  });

  it('an unknown device is a DeviceError listing the registered ones', () => {
    expect(() => backendFor('tpu')).toThrow(torch.DeviceError);
    expect(() => backendFor('tpu')).toThrow(/^unknown device 'tpu' \(expected 'cpu', 'webgpu' or 'fake'\)$/);
    expect(() => torch.zeros([2], { device: 'tpu' as torch.Device })).toThrow(torch.DeviceError);
  });

  it('a factory runs once at acquisition; until then, and when it finds no device, backendFor says why', async () => {
    const factory = vi.fn(async () => ({ unavailable: 'no lazy device in this test' }));
    registerBackend('lazy', factory);
    expect(() => backendFor('lazy')).toThrow("device 'lazy' is not initialised: await torch.init() first");
    expect(isAvailable('lazy')).toBe(false);
    await acquireBackends();
    await acquireBackends();
    expect(factory).toHaveBeenCalledTimes(1);
    expect(() => backendFor('lazy')).toThrow(torch.DeviceError);
    expect(() => backendFor('lazy')).toThrow("device 'lazy' is not available: no lazy device in this test");
  });
});

describe('torch.init with a fresh registry', () => {
  const saved = process.env.FINETORCH_DEVICE;
  afterEach(() => {
    if (saved === undefined) delete process.env.FINETORCH_DEVICE;
    else process.env.FINETORCH_DEVICE = saved;
    vi.restoreAllMocks();
  });

  /** new registry and device modules (not the suite's), with a ready 'cpu' and a 'gpu' factory */
  async function fresh(gpu: () => Promise<Backend | { unavailable: string }>) {
    vi.resetModules();
    const registry = await import('../../src/kernels/registry.js');
    const device = await import('../../src/tensor/device.js');
    registry.registerBackend('cpu', fakeBackend('cpu'));
    registry.registerBackend('gpu', gpu, { priority: 1 });
    return { registry, device };
  }

  it('the highest-priority available device is the default', async () => {
    delete process.env.FINETORCH_DEVICE;
    const gpu = fakeBackend('gpu');
    const { device } = await fresh(async () => gpu);
    expect(await device.init()).toBe('gpu');
    expect(device.defaultDevice()).toBe('gpu');
    expect(device.backendFor('gpu')).toBe(gpu);
  });

  it('a missing preferred device: one warning naming why, and the next device is the default', async () => {
    delete process.env.FINETORCH_DEVICE;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const { device } = await fresh(async () => ({ unavailable: 'no adapter here' }));
    expect(await device.init()).toBe('cpu');
    expect(await device.init()).toBe('cpu');
    expect(warn.mock.calls).toEqual([['finetorch: no adapter here; using the cpu device']]);
    expect(() => device.backendFor('gpu' as torch.Device)).toThrow("device 'gpu' is not available: no adapter here");
  });

  it('FINETORCH_DEVICE=cpu acquires nothing else and says so', async () => {
    process.env.FINETORCH_DEVICE = 'cpu';
    const factory = vi.fn(async () => fakeBackend('gpu'));
    const { device } = await fresh(factory);
    expect(await device.init()).toBe('cpu');
    expect(factory).not.toHaveBeenCalled();
    expect(() => device.backendFor('gpu' as torch.Device)).toThrow(
      "device 'gpu' is not available: FINETORCH_DEVICE=cpu",
    );
  });
});
