//! A size-bucketed pool of GPU buffers. Buffers come in power-of-two sizes (at least 256 bytes);
//! a dropped [`PooledBuffer`] goes back to its bucket, so a loop that allocates the same sizes
//! again reaches steady state with no new GPU allocation.
//!
//! Buffers a captured plan binds are *pinned* by it: when their tensor is dropped they wait
//! (as orphans) until every plan that pins them is gone, so a replay never reads a buffer that
//! someone else was handed. While a plan is being captured, orphans pinned by that capture
//! alone are reused by it: buffer reuse by liveness, since a replay runs in capture order.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

pub(crate) const MIN_BUCKET: u64 = 256;

#[derive(Default)]
struct Buckets {
    free: HashMap<(u64, u32), Vec<wgpu::Buffer>>,
    /// Plan ids pinning each pinned buffer.
    pins: HashMap<wgpu::Buffer, Vec<u64>>,
    /// Dropped buffers still pinned by a plan, with their usage bits.
    orphans: HashMap<wgpu::Buffer, u32>,
    /// The plan being captured, if any, and the thread capturing it.
    capturing: Option<(u64, std::thread::ThreadId)>,
    /// Bytes of GPU memory held by buffers the pool created and has not destroyed.
    allocated_bytes: u64,
    created: u64,
}

pub(crate) struct BufferPool {
    device: wgpu::Device,
    buckets: Mutex<Buckets>,
}

/// Statistics of a pool, for tests and for `clear_session`-like memory checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Buffers created since the device was made.
    pub created: u64,
    /// Bytes held by the pool's buffers, in use or free.
    pub allocated_bytes: u64,
    /// Bytes in free buffers waiting for reuse.
    pub free_bytes: u64,
}

/// A buffer on loan from the pool; returned on drop.
pub struct PooledBuffer {
    buffer: Option<wgpu::Buffer>,
    usage: wgpu::BufferUsages,
    pool: Weak<BufferPool>,
}

impl PooledBuffer {
    pub fn buffer(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().expect("buffer present until drop")
    }

    /// Capacity in bytes (the bucket size, at least the requested size).
    pub fn capacity(&self) -> u64 {
        self.buffer().size()
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let (Some(buffer), Some(pool)) = (self.buffer.take(), self.pool.upgrade()) {
            let mut b = pool.buckets.lock().unwrap();
            if b.pins.contains_key(&buffer) {
                b.orphans.insert(buffer, self.usage.bits());
            } else {
                b.free.entry((buffer.size(), self.usage.bits())).or_default().push(buffer);
            }
        }
    }
}

impl BufferPool {
    pub(crate) fn new(device: wgpu::Device) -> Arc<Self> {
        Arc::new(Self { device, buckets: Mutex::new(Buckets::default()) })
    }

    pub(crate) fn bucket_size(bytes: u64) -> u64 {
        bytes.max(MIN_BUCKET).next_power_of_two()
    }

    /// A buffer of at least `bytes` with `usage`. `reuse_capture_orphans` lets a buffer that
    /// the plan being captured used and dropped be handed out again; pass false when the data
    /// is written at capture time (an upload), not by the captured commands.
    pub(crate) fn take(
        self: &Arc<Self>,
        bytes: u64,
        usage: wgpu::BufferUsages,
        reuse_capture_orphans: bool,
    ) -> PooledBuffer {
        let size = Self::bucket_size(bytes);
        let mut b = self.buckets.lock().unwrap();
        let mut reused = None;
        let mine = b.capturing.filter(|(_, owner)| *owner == std::thread::current().id());
        if let (true, Some((id, _))) = (reuse_capture_orphans, mine) {
            let found = b.orphans.iter().find(|(buf, u)| {
                buf.size() == size
                    && **u == usage.bits()
                    && b.pins.get(*buf).is_some_and(|p| p.iter().all(|&x| x == id))
            });
            if let Some((buf, _)) = found {
                let buf = buf.clone();
                b.orphans.remove(&buf);
                reused = Some(buf);
            }
        }
        let reused = reused.or_else(|| b.free.get_mut(&(size, usage.bits())).and_then(|v| v.pop()));
        let buffer = match reused {
            Some(buf) => buf,
            None => {
                b.allocated_bytes += size;
                b.created += 1;
                drop(b);
                self.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("wgkeras pooled buffer"),
                    size,
                    usage,
                    mapped_at_creation: false,
                })
            }
        };
        PooledBuffer { buffer: Some(buffer), usage, pool: Arc::downgrade(self) }
    }

    pub(crate) fn set_capturing(&self, plan: Option<u64>) {
        self.buckets.lock().unwrap().capturing = plan.map(|id| (id, std::thread::current().id()));
    }

    /// Marks `buffer` as used by `plan` (once per plan).
    pub(crate) fn pin(&self, buffer: &wgpu::Buffer, plan: u64) {
        let mut b = self.buckets.lock().unwrap();
        let owners = b.pins.entry(buffer.clone()).or_default();
        if !owners.contains(&plan) {
            owners.push(plan);
        }
    }

    /// Drops every pin of `plan`; orphans nobody pins any more go back to the free lists.
    pub(crate) fn unpin_plan(&self, plan: u64) {
        let mut b = self.buckets.lock().unwrap();
        let mut released = Vec::new();
        b.pins.retain(|buf, owners| {
            owners.retain(|&o| o != plan);
            if owners.is_empty() {
                released.push(buf.clone());
            }
            !owners.is_empty()
        });
        for buf in released {
            if let Some(usage) = b.orphans.remove(&buf) {
                b.free.entry((buf.size(), usage)).or_default().push(buf);
            }
        }
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let b = self.buckets.lock().unwrap();
        let free_bytes = b.free.iter().map(|((size, _), v)| size * v.len() as u64).sum();
        PoolStats { created: b.created, allocated_bytes: b.allocated_bytes, free_bytes }
    }

    /// Destroys every free buffer, returning its memory to the driver.
    pub(crate) fn release_free(&self) {
        let mut b = self.buckets.lock().unwrap();
        let freed: u64 = b.free.iter().map(|((size, _), v)| size * v.len() as u64).sum();
        for (_, list) in b.free.drain() {
            for buf in list {
                buf.destroy();
            }
        }
        b.allocated_bytes -= freed;
    }
}
