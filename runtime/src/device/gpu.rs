//! The GPU backend: one wgpu device and queue, its real limits and features, the buffer pool,
//! the pipeline cache, and the pending command encoder that eager ops record into.
//!
//! Dispatches are recorded into one pending encoder. It is submitted when a result is read
//! back, before an upload (so a recycled buffer is never overwritten under a recorded reader),
//! or when [`MAX_PENDING_DISPATCHES`] are waiting. At most [`MAX_IN_FLIGHT`] submissions run at
//! once; the oldest is waited for before another is made.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use crate::device::pool::{BufferPool, PoolStats, PooledBuffer};
use crate::dtype::DType;
use crate::error::{Error, Result};

const MAX_PENDING_DISPATCHES: u32 = 512;
const MAX_IN_FLIGHT: usize = 4;
const PARAM_ARENA_BYTES: u64 = 1 << 20;
const DEFAULT_WG: u32 = 256;

/// How to open a GPU device. `Default` gives the best hardware adapter with its real limits.
#[derive(Debug, Clone, Default)]
pub struct GpuOptions {
    /// Accept software adapters (lavapipe, llvmpipe, WARP).
    pub allow_software: bool,
    /// Pick the first adapter whose name contains this text.
    pub adapter_name: Option<String>,
    /// Pretend the largest storage binding is this many bytes (tests of split dispatches).
    pub max_binding_bytes: Option<u64>,
    /// Pretend at most this many workgroups fit one grid dimension (tests of 2-D grids).
    pub max_workgroups_per_dim: Option<u32>,
}

/// What an adapter is and can do, as `wgkeras info` prints it.
#[derive(Debug, Clone)]
pub struct AdapterReport {
    pub index: usize,
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub driver_info: String,
    pub is_software: bool,
    pub shader_f16: bool,
    pub subgroups: bool,
    pub timestamps: bool,
    pub max_storage_buffer_binding_size: u64,
    pub max_buffer_size: u64,
    pub max_compute_workgroup_storage_size: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroups_per_dimension: u32,
    pub max_storage_buffers_per_shader_stage: u32,
}

/// The wgpu instance of the native APIs (Vulkan, Metal, DX12), or of what `WGPU_BACKEND` names.
fn instance() -> &'static wgpu::Instance {
    static INSTANCE: OnceLock<wgpu::Instance> = OnceLock::new();
    INSTANCE.get_or_init(|| {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if std::env::var_os("WGPU_BACKEND").is_none() {
            desc.backends = wgpu::Backends::PRIMARY;
        }
        wgpu::Instance::new(desc)
    })
}

/// The OpenGL instance, made only when no native adapter exists or when listing adapters:
/// its EGL contexts are not safe to create from several threads at once.
fn gl_instance() -> &'static wgpu::Instance {
    static INSTANCE: OnceLock<wgpu::Instance> = OnceLock::new();
    INSTANCE.get_or_init(|| {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        desc.backends = wgpu::Backends::GL;
        wgpu::Instance::new(desc)
    })
}

/// Adapters best first: native APIs, and GL ones only when `with_gl` or no native one exists.
/// Enumeration and device creation are serialized (drivers differ in what they allow at once).
fn adapters(with_gl: bool) -> Vec<wgpu::Adapter> {
    let mut list = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::all()));
    if (with_gl || list.is_empty()) && std::env::var_os("WGPU_BACKEND").is_none() {
        list.extend(pollster::block_on(gl_instance().enumerate_adapters(wgpu::Backends::GL)));
    }
    list.sort_by_key(adapter_rank);
    list
}

static OPEN_LOCK: Mutex<()> = Mutex::new(());

/// Lower is better: real GPUs before virtual ones before software; native APIs before GL.
fn adapter_rank(a: &wgpu::Adapter) -> (u8, u8) {
    let info = a.get_info();
    let kind = match info.device_type {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    };
    let api = match info.backend {
        wgpu::Backend::Vulkan | wgpu::Backend::Metal | wgpu::Backend::Dx12 => 0,
        _ => 1,
    };
    (kind, api)
}

fn is_software(info: &wgpu::AdapterInfo) -> bool {
    info.device_type == wgpu::DeviceType::Cpu
        || ["llvmpipe", "lavapipe", "swiftshader", "warp", "software"]
            .iter()
            .any(|s| info.name.to_lowercase().contains(s))
}

/// Every adapter wgpu can see, best first.
pub fn list_adapters() -> Vec<AdapterReport> {
    let _serial = OPEN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    adapters(true)
        .iter()
        .enumerate()
        .map(|(index, a)| {
            let info = a.get_info();
            let f = a.features();
            let l = a.limits();
            AdapterReport {
                index,
                name: info.name.clone(),
                backend: format!("{:?}", info.backend),
                device_type: format!("{:?}", info.device_type),
                driver: info.driver.clone(),
                driver_info: info.driver_info.clone(),
                is_software: is_software(&info),
                shader_f16: f.contains(wgpu::Features::SHADER_F16),
                subgroups: f.contains(wgpu::Features::SUBGROUP),
                timestamps: f.contains(wgpu::Features::TIMESTAMP_QUERY),
                max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
                max_buffer_size: l.max_buffer_size,
                max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
                max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
                max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
                max_storage_buffers_per_shader_stage: l.max_storage_buffers_per_shader_stage,
            }
        })
        .collect()
}

/// Which kernel to run: a registry shader, its entry point, the dtypes bound to its type
/// aliases and its override constants. Together they key the pipeline cache. A kernel may
/// instead carry a generated source (see [`Kernel::generated`]); the source is then part of
/// the key, so the same source compiles once.
#[derive(Debug, Clone)]
pub struct Kernel<'a> {
    /// The user-facing op this launch serves, named in errors (defaults to the shader name).
    pub op: &'static str,
    pub shader: &'static str,
    pub entry: &'static str,
    pub types: &'a [(&'static str, DType)],
    pub constants: &'a [(&'static str, f64)],
    /// A complete WGSL source generated at run time, used instead of the registry's `shader`.
    pub generated: Option<GeneratedSource>,
}

/// A generated WGSL source with its hash computed once (the pipeline cache key hashes it on
/// every launch). Clones share the text.
#[derive(Debug, Clone)]
pub struct GeneratedSource {
    source: Arc<str>,
    hash: u64,
}

impl GeneratedSource {
    pub fn new(source: Arc<str>) -> Self {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        source.hash(&mut h);
        GeneratedSource { hash: h.finish(), source }
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

impl PartialEq for GeneratedSource {
    fn eq(&self, other: &Self) -> bool {
        self.hash == other.hash && (Arc::ptr_eq(&self.source, &other.source) || self.source == other.source)
    }
}

impl Eq for GeneratedSource {}

impl std::hash::Hash for GeneratedSource {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.hash.hash(state);
    }
}

impl<'a> Kernel<'a> {
    pub fn new(shader: &'static str, types: &'a [(&'static str, DType)]) -> Self {
        Kernel { op: shader, shader, entry: "main", types, constants: &[], generated: None }
    }

    /// A kernel compiled from `source` (a complete WGSL module, binding 0 the params as in
    /// every kernel). `label` names it in errors and debuggers. The pipeline cache keys it by
    /// its source, so launching the same source again compiles nothing.
    pub fn generated(label: &'static str, source: GeneratedSource) -> Self {
        Kernel {
            op: label,
            shader: label,
            entry: "main",
            types: &[],
            constants: &[],
            generated: Some(source),
        }
    }

    /// Names the op in errors about this launch (limits, dtypes).
    pub fn op(mut self, op: &'static str) -> Self {
        self.op = op;
        self
    }

    pub fn entry(mut self, entry: &'static str) -> Self {
        self.entry = entry;
        self
    }

    pub fn constants(mut self, constants: &'a [(&'static str, f64)]) -> Self {
        self.constants = constants;
        self
    }

    fn workgroup_size(&self) -> u32 {
        self.constants.iter().find(|(k, _)| *k == "WG").map(|(_, v)| *v as u32).unwrap_or(DEFAULT_WG)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PipelineKey {
    shader: &'static str,
    generated: Option<GeneratedSource>,
    entry: &'static str,
    types: Vec<(&'static str, DType)>,
    constants: Vec<(&'static str, u64)>,
}

struct CachedPipeline {
    pipeline: wgpu::ComputePipeline,
    layout: wgpu::BindGroupLayout,
}

/// A range of a buffer bound to one kernel binding.
#[derive(Clone, Copy)]
pub struct Binding<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub offset: u64,
    pub size: u64,
}

/// One recorded GPU command: what the pending encoder receives, or what a plan stores.
enum Command {
    Dispatch { pipeline: Arc<CachedPipeline>, bind_group: wgpu::BindGroup, groups: [u32; 3] },
    Copy { src: wgpu::Buffer, src_offset: u64, dst: wgpu::Buffer, dst_offset: u64, bytes: u64 },
    Clear { buffer: wgpu::Buffer, bytes: u64 },
}

impl Command {
    fn buffers(&self) -> Vec<&wgpu::Buffer> {
        match self {
            Command::Dispatch { .. } => Vec::new(),
            Command::Copy { src, dst, .. } => vec![src, dst],
            Command::Clear { buffer, .. } => vec![buffer],
        }
    }
}

/// Encodes commands, consecutive dispatches sharing one compute pass.
fn encode(enc: &mut wgpu::CommandEncoder, commands: &[Command]) {
    let mut i = 0;
    while i < commands.len() {
        match &commands[i] {
            Command::Dispatch { .. } => {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("wgkeras"),
                    timestamp_writes: None,
                });
                while let Some(Command::Dispatch { pipeline, bind_group, groups }) = commands.get(i) {
                    pass.set_pipeline(&pipeline.pipeline);
                    pass.set_bind_group(0, bind_group, &[]);
                    pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
                    i += 1;
                }
            }
            Command::Copy { src, src_offset, dst, dst_offset, bytes } => {
                enc.copy_buffer_to_buffer(src, *src_offset, dst, *dst_offset, *bytes);
                i += 1;
            }
            Command::Clear { buffer, bytes } => {
                enc.clear_buffer(buffer, 0, Some(*bytes));
                i += 1;
            }
        }
    }
}

/// A plan being captured: commands are stored instead of run.
struct Capture {
    id: u64,
    /// The capturing thread: other threads' commands wait until the capture ends.
    owner: std::thread::ThreadId,
    commands: Vec<Command>,
    params: Vec<u8>,
    params_buffer: wgpu::Buffer,
    pinned: Vec<wgpu::Buffer>,
}

struct Pending {
    encoder: Option<wgpu::CommandEncoder>,
    dispatches: u32,
    params: Vec<u8>,
    in_flight: VecDeque<wgpu::SubmissionIndex>,
    capture: Option<Capture>,
}

pub struct GpuContext {
    id: u64,
    info: wgpu::AdapterInfo,
    features: wgpu::Features,
    limits: wgpu::Limits,
    max_binding: u64,
    max_groups: u32,
    device: wgpu::Device,
    queue: wgpu::Queue,
    pool: Arc<BufferPool>,
    pipelines: Mutex<HashMap<PipelineKey, Arc<CachedPipeline>>>,
    pending: Mutex<Pending>,
    /// Signalled when a capture ends.
    capture_done: std::sync::Condvar,
    param_arena: wgpu::Buffer,
    param_align: u64,
    pipelines_created: AtomicU64,
    submits: AtomicU64,
    reads: AtomicU64,
    uncaptured: Arc<Mutex<Option<String>>>,
}

/// A GPU device. Cheap to clone; clones share the queue, pool and caches.
#[derive(Clone)]
pub struct GpuDevice(Arc<GpuContext>);

impl std::fmt::Debug for GpuDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuDevice({} via {:?})", self.0.info.name, self.0.info.backend)
    }
}

impl PartialEq for GpuDevice {
    fn eq(&self, other: &Self) -> bool {
        self.0.id == other.0.id
    }
}

impl GpuDevice {
    /// Opens the best adapter allowed by `options`, requesting its real limits and the
    /// features wgkeras can use (f16, subgroups, timestamps).
    pub fn open(options: &GpuOptions) -> Result<GpuDevice> {
        let _serial = OPEN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let all = adapters(false);
        if all.is_empty() {
            return Err(Error::NoAdapter("wgpu found no adapter on this machine".into()));
        }
        let adapter = all
            .into_iter()
            .filter(|a| options.allow_software || !is_software(&a.get_info()))
            .find(|a| match &options.adapter_name {
                Some(n) => a.get_info().name.to_lowercase().contains(&n.to_lowercase()),
                None => true,
            })
            .ok_or_else(|| {
                Error::NoAdapter(if options.allow_software {
                    format!("no adapter matches {:?}", options.adapter_name)
                } else {
                    "only software adapters exist (ask for them with WGKERAS_DEVICE=gpu)".into()
                })
            })?;
        let info = adapter.get_info();
        let wanted = wgpu::Features::SHADER_F16 | wgpu::Features::SUBGROUP | wgpu::Features::TIMESTAMP_QUERY;
        let features = adapter.features() & wanted;
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("wgkeras"),
            required_features: features,
            required_limits: limits.clone(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| Error::Gpu(format!("{}: request_device failed: {e}", info.name)))?;

        let uncaptured = Arc::new(Mutex::new(None));
        let sink = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            let mut slot = sink.lock().unwrap();
            if slot.is_none() {
                *slot = Some(e.to_string());
            }
        }));

        let max_binding = options
            .max_binding_bytes
            .unwrap_or(u64::MAX)
            .min(limits.max_storage_buffer_binding_size)
            .min(limits.max_buffer_size);
        let max_groups = options
            .max_workgroups_per_dim
            .unwrap_or(u32::MAX)
            .min(limits.max_compute_workgroups_per_dimension);
        let param_arena = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("wgkeras params"),
            size: PARAM_ARENA_BYTES,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Ok(GpuDevice(Arc::new(GpuContext {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            param_align: limits.min_storage_buffer_offset_alignment.max(4) as u64,
            info,
            features,
            limits,
            max_binding,
            max_groups,
            pool: BufferPool::new(device.clone()),
            device,
            queue,
            pipelines: Mutex::new(HashMap::new()),
            capture_done: std::sync::Condvar::new(),
            pending: Mutex::new(Pending {
                encoder: None,
                dispatches: 0,
                params: Vec::new(),
                in_flight: VecDeque::new(),
                capture: None,
            }),
            param_arena,
            pipelines_created: AtomicU64::new(0),
            submits: AtomicU64::new(0),
            reads: AtomicU64::new(0),
            uncaptured,
        })))
    }

    pub fn name(&self) -> &str {
        &self.0.info.name
    }

    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.0.info
    }

    pub fn limits(&self) -> &wgpu::Limits {
        &self.0.limits
    }

    pub fn is_software(&self) -> bool {
        is_software(&self.0.info)
    }

    pub fn has_f16(&self) -> bool {
        self.0.features.contains(wgpu::Features::SHADER_F16)
    }

    pub fn has_subgroups(&self) -> bool {
        self.0.features.contains(wgpu::Features::SUBGROUP)
    }

    /// The largest buffer range one binding may cover (possibly lowered by [`GpuOptions`]).
    pub fn max_binding_bytes(&self) -> u64 {
        self.0.max_binding
    }

    pub fn max_workgroups_per_dim(&self) -> u32 {
        self.0.max_groups
    }

    pub fn pool_stats(&self) -> PoolStats {
        self.0.pool.stats()
    }

    /// Pipelines compiled so far: a test that new shapes compile nothing reads this.
    pub fn pipelines_created(&self) -> u64 {
        self.0.pipelines_created.load(Ordering::Relaxed)
    }

    pub fn submits(&self) -> u64 {
        self.0.submits.load(Ordering::Relaxed)
    }

    /// Readbacks to the host so far.
    pub fn reads(&self) -> u64 {
        self.0.reads.load(Ordering::Relaxed)
    }

    /// Returns every free pooled buffer to the driver.
    pub fn release_free_memory(&self) {
        self.0.pool.release_free();
    }

    /// Checks that `dtype` can live on this device.
    pub fn check_dtype(&self, op: &'static str, dtype: DType) -> Result<()> {
        let why = match dtype {
            DType::F16 if !self.has_f16() => "the adapter lacks SHADER_F16",
            DType::BF16 | DType::F64 => "WGSL has no such type; use the CPU backend",
            _ => return Ok(()),
        };
        Err(Error::DeviceDType { op, dtype, device: self.name().to_string(), why: why.into() })
    }

    fn storage_usage() -> wgpu::BufferUsages {
        wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST
    }

    /// A pooled storage buffer of at least `bytes` (contents undefined).
    pub fn alloc(&self, op: &'static str, bytes: u64) -> Result<PooledBuffer> {
        if bytes > self.0.limits.max_buffer_size {
            return Err(Error::Limit {
                op,
                msg: format!(
                    "{bytes} bytes exceed the adapter's max_buffer_size of {}",
                    self.0.limits.max_buffer_size
                ),
            });
        }
        Ok(self.0.pool.take(bytes.max(4), Self::storage_usage(), true))
    }

    /// A pooled storage buffer holding `data`.
    pub fn upload(&self, op: &'static str, data: &[u8]) -> Result<PooledBuffer> {
        if data.len() as u64 > self.0.limits.max_buffer_size {
            return Err(Error::Limit {
                op,
                msg: format!("{} bytes exceed the adapter's max_buffer_size", data.len()),
            });
        }
        let buf = self.0.pool.take((data.len() as u64).max(4), Self::storage_usage(), false);
        self.flush_if_pending()?;
        let mut padded;
        let bytes = if data.len() % 4 == 0 {
            data
        } else {
            padded = data.to_vec();
            padded.resize(data.len().next_multiple_of(4), 0);
            &padded
        };
        if !bytes.is_empty() {
            self.0.queue.write_buffer(buf.buffer(), 0, bytes);
        }
        Ok(buf)
    }

    /// Overwrites the start of `buffer` with `data` (after the work recorded so far). Plans read
    /// their inputs this way: write the next batch, then run.
    pub fn write(&self, buffer: &wgpu::Buffer, data: &[u8]) -> Result<()> {
        if data.len() as u64 > buffer.size() {
            return Err(Error::arg(
                "write",
                format!("{} bytes do not fit a buffer of {}", data.len(), buffer.size()),
            ));
        }
        self.flush_if_pending()?;
        if data.len() % 4 == 0 {
            self.0.queue.write_buffer(buffer, 0, data);
        } else {
            let mut padded = data.to_vec();
            padded.resize(data.len().next_multiple_of(4), 0);
            self.0.queue.write_buffer(buffer, 0, &padded);
        }
        Ok(())
    }

    /// Records zero-filling of the first `bytes` of `buffer`.
    pub fn clear(&self, buffer: &wgpu::Buffer, bytes: u64) -> Result<()> {
        let bytes = bytes.next_multiple_of(4);
        if bytes == 0 {
            return Ok(());
        }
        let mut p = self.pending();
        self.record(&mut p, Command::Clear { buffer: buffer.clone(), bytes })
    }

    /// Records a buffer-to-buffer copy (offsets and size in bytes, multiples of 4).
    pub fn copy(
        &self,
        src: &wgpu::Buffer,
        src_offset: u64,
        dst: &wgpu::Buffer,
        dst_offset: u64,
        bytes: u64,
    ) -> Result<()> {
        if bytes == 0 {
            return Ok(());
        }
        let mut p = self.pending();
        let command = Command::Copy { src: src.clone(), src_offset, dst: dst.clone(), dst_offset, bytes };
        self.record(&mut p, command)
    }

    /// Encodes `command` into the pending encoder, or stores it in the plan being captured.
    fn record(&self, p: &mut Pending, command: Command) -> Result<()> {
        if let Some(cap) = p.capture.as_mut() {
            for b in command.buffers() {
                self.pin(cap, b);
            }
            cap.commands.push(command);
            return Ok(());
        }
        let enc = p.encoder.get_or_insert_with(|| {
            self.0.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("wgkeras") })
        });
        encode(enc, std::slice::from_ref(&command));
        p.dispatches += 1;
        if p.dispatches >= MAX_PENDING_DISPATCHES {
            self.submit_locked(p)?;
        }
        Ok(())
    }

    fn pin(&self, cap: &mut Capture, buffer: &wgpu::Buffer) {
        if !cap.pinned.contains(buffer) {
            self.0.pool.pin(buffer, cap.id);
            cap.pinned.push(buffer.clone());
        }
    }

    fn pipeline(&self, kernel: &Kernel) -> Result<Arc<CachedPipeline>> {
        let key = PipelineKey {
            shader: kernel.shader,
            generated: kernel.generated.clone(),
            entry: kernel.entry,
            types: kernel.types.to_vec(),
            constants: kernel.constants.iter().map(|(k, v)| (*k, v.to_bits())).collect(),
        };
        if let Some(p) = self.0.pipelines.lock().unwrap().get(&key) {
            return Ok(p.clone());
        }
        let mut types = Vec::new();
        for (alias, dtype) in kernel.types {
            self.check_dtype(kernel.op, *dtype)?;
            types.push((*alias, dtype.wgsl().expect("checked above")));
        }
        let source = match &kernel.generated {
            Some(g) => g.source().to_string(),
            None => {
                let shader = wgkeras_shaders::find(kernel.shader)
                    .ok_or_else(|| Error::Gpu(format!("no shader named {}", kernel.shader)))?;
                wgkeras_shaders::specialize(shader, &types)
            }
        };
        let scope = self.0.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self.0.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(kernel.shader),
            source: wgpu::ShaderSource::Wgsl(Cow::Owned(source)),
        });
        let constants: Vec<(&str, f64)> = kernel.constants.to_vec();
        let pipeline = self.0.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(kernel.shader),
            layout: None,
            module: &module,
            entry_point: Some(kernel.entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &constants,
                zero_initialize_workgroup_memory: false,
            },
            cache: None,
        });
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Gpu(format!(
                "compiling {}::{} for {:?}: {e}",
                kernel.shader, kernel.entry, kernel.types
            )));
        }
        let layout = pipeline.get_bind_group_layout(0);
        let cached = Arc::new(CachedPipeline { pipeline, layout });
        self.0.pipelines_created.fetch_add(1, Ordering::Relaxed);
        self.0.pipelines.lock().unwrap().insert(key, cached.clone());
        Ok(cached)
    }

    /// Records a launch of `threads` invocations of a 1-D kernel. Grids of more than
    /// `max_workgroups_per_dim` workgroups fold into two dimensions (the kernel's `flat_id`
    /// unfolds them).
    pub fn launch(
        &self,
        kernel: &Kernel,
        params: &[u32],
        bindings: &[Binding],
        threads: usize,
    ) -> Result<()> {
        if threads == 0 {
            return Ok(());
        }
        let groups = threads.div_ceil(kernel.workgroup_size() as usize);
        let max = self.0.max_groups as usize;
        let x = groups.min(max);
        let y = groups.div_ceil(x);
        if y > max {
            return Err(Error::Limit {
                op: kernel.op,
                msg: format!("{threads} threads need {groups} workgroups, over {max} x {max}"),
            });
        }
        self.launch_groups(kernel, params, bindings, [x as u32, y as u32, 1])
    }

    /// Records a launch over an explicit grid of workgroups.
    pub fn launch_groups(
        &self,
        kernel: &Kernel,
        params: &[u32],
        bindings: &[Binding],
        groups: [u32; 3],
    ) -> Result<()> {
        if groups.contains(&0) {
            return Ok(());
        }
        if groups.iter().any(|&g| g > self.0.max_groups) {
            return Err(Error::Limit {
                op: kernel.op,
                msg: format!("grid {groups:?} exceeds {} per dimension", self.0.max_groups),
            });
        }
        for b in bindings {
            if b.size > self.0.max_binding {
                return Err(Error::Limit {
                    op: kernel.op,
                    msg: format!(
                        "a binding of {} bytes exceeds the adapter's limit of {} bytes",
                        b.size, self.0.max_binding
                    ),
                });
            }
        }
        let pipeline = self.pipeline(kernel)?;
        let mut p = self.pending();
        let param_bytes: &[u8] = bytemuck::cast_slice(params);
        let param_size = (param_bytes.len() as u64).max(4);
        let capturing = p.capture.is_some();
        let arena = if capturing { &mut p.capture.as_mut().unwrap().params } else { &mut p.params };
        let mut offset = (arena.len() as u64).next_multiple_of(self.0.param_align);
        if offset + param_size > PARAM_ARENA_BYTES {
            if capturing {
                return Err(Error::Limit {
                    op: kernel.op,
                    msg: format!(
                        "a captured plan holds at most {PARAM_ARENA_BYTES} bytes of launch parameters"
                    ),
                });
            }
            self.submit_locked(&mut p)?;
            offset = 0;
        }
        let arena = if capturing { &mut p.capture.as_mut().unwrap().params } else { &mut p.params };
        arena.resize(offset as usize, 0);
        arena.extend_from_slice(param_bytes);
        if params.is_empty() {
            arena.extend_from_slice(&[0; 4]);
        }
        let params_buffer = match &p.capture {
            Some(cap) => &cap.params_buffer,
            None => &self.0.param_arena,
        };
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: params_buffer,
                offset,
                size: std::num::NonZeroU64::new(param_size),
            }),
        }];
        for (i, b) in bindings.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry {
                binding: i as u32 + 1,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: b.buffer,
                    offset: b.offset,
                    size: std::num::NonZeroU64::new(b.size.max(4).next_multiple_of(4)),
                }),
            });
        }
        let bind_group = self.0.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(kernel.shader),
            layout: &pipeline.layout,
            entries: &entries,
        });
        if let Some(cap) = p.capture.as_mut() {
            for b in bindings {
                self.pin(cap, b.buffer);
            }
        }
        self.record(&mut p, Command::Dispatch { pipeline, bind_group, groups })
    }

    /// The pending state, once no other thread is capturing a plan on this device (a capture
    /// records only its own thread's commands; others wait for it to end).
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        let me = std::thread::current().id();
        let mut p = self.0.pending.lock().unwrap();
        while p.capture.as_ref().is_some_and(|c| c.owner != me) {
            p = self.0.capture_done.wait(p).unwrap();
        }
        p
    }

    /// Starts capturing a plan: until [`GpuDevice::end_capture`], launches, copies and clears
    /// on this device are stored, not run, and reading data back is an error.
    pub fn begin_capture(&self) -> Result<()> {
        let mut p = self.pending();
        if p.capture.is_some() {
            return Err(Error::arg("begin_capture", "a plan is already being captured on this device"));
        }
        static NEXT_PLAN: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_PLAN.fetch_add(1, Ordering::Relaxed);
        let params_buffer = self.0.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("wgkeras plan params"),
            size: PARAM_ARENA_BYTES,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        p.capture = Some(Capture {
            id,
            owner: std::thread::current().id(),
            commands: Vec::new(),
            params: Vec::new(),
            params_buffer,
            pinned: Vec::new(),
        });
        self.0.pool.set_capturing(Some(id));
        Ok(())
    }

    /// Ends the capture and returns the plan. Nothing it recorded has run yet.
    pub fn end_capture(&self) -> Result<GpuPlan> {
        let mut p = self.pending();
        let cap = p.capture.take().ok_or_else(|| Error::arg("end_capture", "no plan is being captured"))?;
        self.0.pool.set_capturing(None);
        self.0.capture_done.notify_all();
        if !cap.params.is_empty() {
            self.0.queue.write_buffer(&cap.params_buffer, 0, &cap.params);
        }
        Ok(GpuPlan {
            device: self.clone(),
            id: cap.id,
            commands: cap.commands,
            buffers: cap.pinned.len(),
            _params: cap.params_buffer,
        })
    }

    /// Stops a capture without keeping what it recorded (after an error in the captured code).
    pub fn abort_capture(&self) {
        let mut p = self.pending();
        if let Some(cap) = p.capture.take() {
            self.0.pool.set_capturing(None);
            self.0.pool.unpin_plan(cap.id);
            self.0.capture_done.notify_all();
        }
    }

    fn take_error(&self) -> Result<()> {
        match self.0.uncaptured.lock().unwrap().take() {
            Some(e) => Err(Error::Gpu(e)),
            None => Ok(()),
        }
    }

    fn submit_locked(&self, p: &mut Pending) -> Result<()> {
        let Some(enc) = p.encoder.take() else {
            return Ok(());
        };
        if !p.params.is_empty() {
            self.0.queue.write_buffer(&self.0.param_arena, 0, &p.params);
        }
        while p.in_flight.len() >= MAX_IN_FLIGHT {
            let oldest = p.in_flight.pop_front().unwrap();
            self.0
                .device
                .poll(wgpu::PollType::Wait { submission_index: Some(oldest), timeout: None })
                .map_err(|e| Error::Gpu(format!("waiting for the GPU: {e}")))?;
        }
        let index = self.0.queue.submit([enc.finish()]);
        self.0.submits.fetch_add(1, Ordering::Relaxed);
        p.in_flight.push_back(index);
        p.params.clear();
        p.dispatches = 0;
        self.take_error()
    }

    fn flush_if_pending(&self) -> Result<()> {
        let mut p = self.pending();
        self.submit_locked(&mut p)
    }

    /// Submits everything recorded so far.
    pub fn flush(&self) -> Result<()> {
        self.flush_if_pending()
    }

    /// Submits pending work and waits until the GPU has finished all of it.
    pub fn synchronize(&self) -> Result<()> {
        let mut p = self.pending();
        self.submit_locked(&mut p)?;
        p.in_flight.clear();
        self.0
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU: {e}")))?;
        self.take_error()
    }

    /// Copies the first `bytes` of `buffer` back to the host, submitting pending work first.
    pub fn read(&self, buffer: &wgpu::Buffer, bytes: u64) -> Result<Vec<u8>> {
        if bytes == 0 {
            return Ok(Vec::new());
        }
        let size = bytes.next_multiple_of(4);
        let mut p = self.pending();
        if p.capture.is_some() {
            return Err(Error::arg("read", "cannot read data back while a plan is being captured"));
        }
        self.0.reads.fetch_add(1, Ordering::Relaxed);
        let staging =
            self.0.pool.take(size, wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST, false);
        let enc = p.encoder.get_or_insert_with(|| {
            self.0.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("wgkeras") })
        });
        enc.copy_buffer_to_buffer(buffer, 0, staging.buffer(), 0, size);
        self.submit_locked(&mut p)?;
        p.in_flight.clear();
        drop(p);
        let slice = staging.buffer().slice(0..size);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.0
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU: {e}")))?;
        rx.recv()
            .map_err(|_| Error::Gpu("buffer map callback never ran".into()))?
            .map_err(|e| Error::Gpu(format!("mapping a readback buffer: {e}")))?;
        let out = {
            let view = slice.get_mapped_range().map_err(|e| Error::Gpu(format!("{e:?}")))?;
            view[..bytes as usize].to_vec()
        };
        staging.buffer().unmap();
        self.take_error()?;
        Ok(out)
    }
}

/// A captured sequence of GPU commands on fixed buffers. [`GpuPlan::run`] encodes all of them
/// into one command buffer and submits it once: no allocation, no shader compile, no readback.
/// The buffers it uses stay reserved for it until it is dropped.
pub struct GpuPlan {
    device: GpuDevice,
    id: u64,
    commands: Vec<Command>,
    buffers: usize,
    _params: wgpu::Buffer,
}

impl GpuPlan {
    /// Runs the plan: one queue submit (work recorded before it is submitted with it, first).
    pub fn run(&self) -> Result<()> {
        let dev = &self.device;
        let mut p = dev.pending();
        if p.capture.is_some() {
            return Err(Error::arg("GpuPlan::run", "cannot run a plan while this thread captures another"));
        }
        let enc = p.encoder.get_or_insert_with(|| {
            dev.0
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("wgkeras plan") })
        });
        encode(enc, &self.commands);
        dev.submit_locked(&mut p)
    }

    /// How many commands (dispatches, copies, clears) the plan holds.
    pub fn len(&self) -> usize {
        self.commands.len()
    }

    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// How many distinct buffers the plan binds (inputs, outputs and intermediates; an
    /// intermediate buffer is reused once the value in it is dead).
    pub fn buffers(&self) -> usize {
        self.buffers
    }

    pub fn dispatches(&self) -> usize {
        self.commands.iter().filter(|c| matches!(c, Command::Dispatch { .. })).count()
    }
}

impl std::fmt::Debug for GpuPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GpuPlan({} commands, {} buffers)", self.commands.len(), self.buffers)
    }
}

impl Drop for GpuPlan {
    fn drop(&mut self) {
        self.device.0.pool.unpin_plan(self.id);
    }
}
