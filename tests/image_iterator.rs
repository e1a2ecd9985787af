//! `Sequence` and the legacy image iterator (`ImageDataGenerator`, `NumpyArrayIterator`).
//! Reference numbers come from Keras's legacy ImageDataGenerator
//! (`tools/refgen/image_generator.py`, Keras 3.15 with the JAX backend).

mod common;

use wgkeras::frontend::data::image::{
    DataFormat, FillMode, FlowOptions, HostArray, ImageDataGenerator, NumpyArrayIterator, Subset,
    TransformParams,
};
use wgkeras::frontend::data::sequence::{Batch, Sequence};
use wgkeras::runtime::{DType, Device};

// ---- reference numbers (generated, see the module doc) ----
const FIT_MEAN: &[f32] = &[0.019967319443821907, 0.019294120371341705, 0.019281046465039253];
const FIT_STD: &[f32] = &[0.01137419231235981, 0.011427365243434906, 0.011495877057313919];
const FEATUREWISE: &[f32] = &[
    1.6576608419418335,
    -0.48726382851600647,
    0.7788418531417847,
    -1.4795410633087158,
    -0.14412041008472443,
    1.1199402809143066,
    -1.1347936391830444,
    0.19902300834655762,
    1.4610391855239868,
    -0.7900460958480835,
    0.5421665906906128,
    -1.642958164215088,
    -0.4452986717224121,
    0.8853099942207336,
    -1.3018596172332764,
    -0.10055117309093475,
    1.2284533977508545,
    -0.9607610702514648,
    0.24419642984867096,
    1.5715968608856201,
    -0.6196625232696533,
    0.5889438390731812,
    -1.551008701324463,
    -0.278563916683197,
    0.9336912631988525,
    -1.2078651189804077,
    0.06253480166196823,
    1.278438925743103,
    -0.8647216558456421,
    0.40363338589668274,
    1.6231863498687744,
    -0.5215781331062317,
    0.7447319626808167,
    -1.5140159130096436,
    -0.17843465507030487,
    1.0858306884765625,
    -1.169268250465393,
    0.16470876336097717,
    1.426929235458374,
    -0.8245208263397217,
    0.5078521966934204,
    -1.6770681142807007,
    -0.4797734022140503,
    0.8509956002235413,
    -1.3359695672988892,
    -0.1350259780883789,
    1.194139003753662,
    -0.9948709011077881,
    0.20972144603729248,
    1.5372824668884277,
    -0.653772234916687,
    0.5544688701629639,
    -1.5853228569030762,
    -0.3126736879348755,
    0.8992164731025696,
    -1.2421795129776,
    0.028424881398677826,
    1.2439637184143066,
    -0.8990359902381897,
    0.3695236146450043,
];
const FIT_MEAN_CF: &[f32] = &[5.0916666984558105, 4.920000076293945, 4.916666507720947];
const FIT_STD_CF: &[f32] = &[2.900418996810913, 2.913977861404419, 2.931447982788086];
const FEATUREWISE_CF: &[f32] = &[
    1.5888502597808838,
    -1.5486263036727905,
    -1.2038487195968628,
    -0.8590710163116455,
    -0.514293372631073,
    -0.1695157289505005,
    0.17526192963123322,
    0.5200396180152893,
    0.8648172616958618,
    1.2095950841903687,
    1.554372787475586,
    -1.583104133605957,
    -1.2383264303207397,
    -0.8935487866401672,
    -0.5487711429595947,
    -0.20399345457553864,
    0.14078420400619507,
    0.4855618476867676,
    0.8303394913673401,
    1.1751171350479126,
    -0.5559409260749817,
    -0.21276746690273285,
    0.13040593266487122,
    0.4735793173313141,
    0.8167527318000793,
    1.1599260568618774,
    1.5030995607376099,
    -1.6197785139083862,
    -1.2766050100326538,
    -0.9334316253662109,
    -0.5902582406997681,
    -0.24708493053913116,
    0.0960884615778923,
    0.43926185369491577,
    0.7824352383613586,
    1.1256086826324463,
    1.4687820672988892,
    -1.6540957689285278,
    -1.310922384262085,
    -0.9677490592002869,
    0.7106838822364807,
    1.0518120527267456,
    1.3929404020309448,
    1.7340686321258545,
    -1.370198369026184,
    -1.0290701389312744,
    -0.68794184923172,
    -0.3468136191368103,
    -0.005685383919626474,
    0.33544284105300903,
    0.6765710711479187,
    1.0176993608474731,
    1.3588273525238037,
    1.6999555826187134,
    -1.4043110609054565,
    -1.0631829500198364,
    -0.7220547199249268,
    -0.3809264898300171,
    -0.03979817405343056,
    0.3013300597667694,
];
const SAMPLEWISE: &[f32] = &[
    -1.6987565755844116,
    -0.4294063448905945,
    0.8399438858032227,
    -1.3556889295578003,
    -0.08633881062269211,
    1.1830112934112549,
    -1.012621283531189,
    0.2567288279533386,
    1.5260789394378662,
    -0.6695536971092224,
    0.59979647397995,
    -1.5958362817764282,
    -0.32648608088493347,
    0.9428640604019165,
    -1.2527687549591064,
    0.016581544652581215,
    1.2859317064285278,
    -0.9097010493278503,
    0.3596491813659668,
    1.6289993524551392,
    -0.5666334629058838,
    0.7027168273925781,
    -1.4929161071777344,
    -0.2235657274723053,
    1.0457844734191895,
    -1.149848461151123,
    0.11950189620256424,
    1.3888520002365112,
    -0.8067808151245117,
    0.46256953477859497,
    1.7319196462631226,
    -0.4637131690979004,
    0.8056371808052063,
    -1.3899956941604614,
    -0.12064553797245026,
    1.1487047672271729,
    -1.04692804813385,
    0.22242209315299988,
    1.4917724132537842,
    -0.7038604617118835,
    0.5654897093772888,
    -1.630143165588379,
    -0.3607928156852722,
    0.9085573554039001,
    -1.287075400352478,
    -0.017725184559822083,
    1.2516251802444458,
    -0.9440078139305115,
    0.32534244656562805,
    1.5946928262710571,
    -0.6009401679039001,
    0.668410062789917,
    -1.527222752571106,
    -0.257872611284256,
    1.0114777088165283,
    -1.1841551065444946,
    0.08519500494003296,
    1.3545451164245605,
    -0.8410875201225281,
    0.4282626211643219,
];
const AFFINE_NEAREST: &[f32] = &[
    6.55533504486084,
    3.69759202003479,
    2.3984134197235107,
    4.852292537689209,
    1.2398474216461182,
    4.0232062339782715,
    2.1731808185577393,
    1.889872670173645,
    3.1065139770507812,
    0.10651406645774841,
    4.039847373962402,
    1.0398473739624023,
    5.571864604949951,
    3.263455390930176,
    2.8389155864715576,
    5.351489067077637,
    2.7728564739227295,
    2.1234989166259766,
    4.318105220794678,
    1.3181051015853882,
    5.251438617706299,
    2.2514383792877197,
    3.387188196182251,
    3.184771776199341,
    4.944278717041016,
    4.122804641723633,
    3.5571789741516113,
    5.326051712036133,
    3.6322057247161865,
    1.6046404838562012,
    3.6626598834991455,
    2.7202394008636475,
    0.6178370714187622,
    4.396362781524658,
    0.6630296111106873,
    5.329696178436279,
    2.1200432777404785,
    4.98215389251709,
    2.4035210609436035,
    5.232038497924805,
    4.489198684692383,
    1.491554856300354,
    4.157984733581543,
    3.5795886516571045,
    1.7910276651382446,
    5.6676225662231445,
    2.3333332538604736,
    7.0,
    1.6243205070495605,
    4.963935852050781,
    3.2628700733184814,
    3.922459840774536,
    5.3509039878845215,
    2.754794120788574,
    6.596852779388428,
    3.6860594749450684,
    2.4399306774139404,
    4.840760231018066,
    1.3287937641143799,
    5.995460510253906,
];
const AFFINE_CONSTANT: &[f32] = &[
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    5.571864604949951,
    3.263455390930176,
    2.8389155864715576,
    5.351489067077637,
    2.7728564739227295,
    2.1234989166259766,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    4.944278717041016,
    4.122804641723633,
    3.5571789741516113,
    5.326051712036133,
    3.6322057247161865,
    1.6046404838562012,
    3.6626598834991455,
    2.7202394008636475,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    2.1200432777404785,
    4.98215389251709,
    2.4035210609436035,
    5.232038497924805,
    4.489198684692383,
    1.491554856300354,
    4.157984733581543,
    3.5795886516571045,
    1.7910276651382446,
    5.6676225662231445,
    -1.5,
    -1.5,
    1.6243205070495605,
    4.963935852050781,
    3.2628700733184814,
    3.922459840774536,
    5.3509039878845215,
    2.754794120788574,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
    -1.5,
];
const AFFINE_REFLECT: &[f32] = &[
    6.55533504486084,
    3.69759202003479,
    2.3984134197235107,
    4.852292537689209,
    1.2398474216461182,
    4.0232062339782715,
    2.275050163269043,
    2.208406686782837,
    1.7901198863983154,
    4.56911039352417,
    3.620056390762329,
    4.467843055725098,
    5.571864604949951,
    3.263455390930176,
    2.8389155864715576,
    5.351489067077637,
    2.7728564739227295,
    2.1234989166259766,
    4.318105220794678,
    1.3181051015853882,
    5.2206196784973145,
    2.225595235824585,
    4.191622734069824,
    1.9992523193359375,
    4.944278717041016,
    4.122804641723633,
    3.5571789741516113,
    5.326051712036133,
    3.6322057247161865,
    1.6046404838562012,
    3.6626598834991455,
    2.7202394008636475,
    0.6178370714187622,
    4.396362781524658,
    0.6630296111106873,
    5.329696178436279,
    2.1200432777404785,
    4.98215389251709,
    2.4035210609436035,
    5.232038497924805,
    4.489198684692383,
    1.491554856300354,
    4.157984733581543,
    3.5795886516571045,
    1.7910276651382446,
    5.6676225662231445,
    2.3333332538604736,
    7.0,
    1.6243205070495605,
    4.963935852050781,
    3.2628700733184814,
    3.922459840774536,
    5.3509039878845215,
    2.754794120788574,
    6.596852779388428,
    3.6860594749450684,
    2.4399306774139404,
    4.840760231018066,
    1.6093895435333252,
    5.7092485427856445,
];
const AFFINE_WRAP: &[f32] = &[
    3.5752711296081543,
    4.070772647857666,
    1.833686113357544,
    6.158806800842285,
    1.246840476989746,
    5.152281761169434,
    3.334874391555786,
    2.7880032062530518,
    5.146485328674316,
    2.422908306121826,
    4.094300746917725,
    4.510941982269287,
    5.571864604949951,
    3.263455390930176,
    2.8389155864715576,
    5.351489067077637,
    2.7728564739227295,
    2.1234989166259766,
    4.194223403930664,
    3.4436161518096924,
    6.145466327667236,
    3.282257318496704,
    2.109272003173828,
    5.370291233062744,
    4.944278717041016,
    4.122804641723633,
    3.5571789741516113,
    5.326051712036133,
    3.6322057247161865,
    1.6046404838562012,
    3.6626598834991455,
    2.7202394008636475,
    5.466319561004639,
    4.14160680770874,
    1.8924458026885986,
    4.181899070739746,
    2.1200432777404785,
    4.98215389251709,
    2.4035210609436035,
    5.232038497924805,
    4.489198684692383,
    1.491554856300354,
    4.157984733581543,
    3.5795886516571045,
    1.7910276651382446,
    5.6676225662231445,
    0.7556564211845398,
    5.159363269805908,
    1.6243205070495605,
    4.963935852050781,
    3.2628700733184814,
    3.922459840774536,
    5.3509039878845215,
    2.754794120788574,
    5.74348783493042,
    2.7722713947296143,
    3.9573299884796143,
    4.860305309295654,
    2.281672477722168,
    3.3357465267181396,
];
const AFFINE_CF: &[f32] = &[
    3.7709383964538574,
    1.2960647344589233,
    0.0,
    1.270938515663147,
    3.038705348968506,
    4.806472301483154,
    6.24581241607666,
    3.7709383964538574,
    2.5670032501220703,
    3.038705348968506,
    4.806472301483154,
    6.574239253997803,
    3.0670032501220703,
    3.5600996017456055,
    2.9210994243621826,
    6.102537155151367,
    6.574239253997803,
    0.6666666865348816,
    2.937605142593384,
    4.092724800109863,
    3.385618209838867,
    2.8417253494262695,
    1.9627314805984497,
    0.6666666865348816,
    4.705372333526611,
    6.473138809204102,
    2.2881088256835938,
    1.7238576412200928,
    4.437605381011963,
    1.9627314805984497,
    3.714045286178589,
    5.96273136138916,
    4.666666507720947,
    5.937605381011963,
    1.3939934968948364,
    1.8064724206924438,
    3.245812177658081,
    3.714045286178589,
    3.9862959384918213,
    1.3939934968948364,
    1.8064724206924438,
    3.574239492416382,
    5.720685958862305,
    4.516750812530518,
    3.8096439838409424,
    3.1025373935699463,
    3.574239492416382,
    5.333333492279053,
    1.7579545974731445,
    3.1057088375091553,
    3.4661481380462646,
    2.8835694789886475,
    2.3708994388580322,
    5.333333492279053,
    1.7053722143173218,
    3.4731392860412598,
    4.62825870513916,
    3.9124789237976074,
    1.4376051425933838,
    2.3708994388580322,
];
const ROT90_CONST: &[f32] = &[
    2.9166667461395264,
    3.75,
    3.3333334922790527,
    2.25,
    3.75,
    2.6666665077209473,
    2.25,
    5.0,
    0.0,
    0.0,
    0.0,
    0.0,
    5.083333492279053,
    4.0,
    3.5833334922790527,
    4.416666507720947,
    4.0,
    2.9166667461395264,
    4.416666507720947,
    3.3333334922790527,
    0.0,
    0.0,
    0.0,
    0.0,
    5.333333492279053,
    2.3333334922790527,
    3.8333332538604736,
    4.666666507720947,
    2.3333334922790527,
    5.083333492279053,
    4.666666507720947,
    3.5833334922790527,
    0.0,
    0.0,
    0.0,
    0.0,
    3.6666665077209473,
    2.5833334922790527,
    4.083333492279053,
    3.0,
    2.5833334922790527,
    5.333333492279053,
    3.0,
    3.8333332538604736,
    0.0,
    0.0,
    0.0,
    0.0,
    2.0,
    4.75,
    4.333333492279053,
    3.25,
    4.75,
    3.6666665077209473,
    3.25,
    4.083333492279053,
    0.0,
    0.0,
    0.0,
    0.0,
];
const SHIFT_CONST: &[f32] = &[
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    3.3333332538604736,
    0.3333333432674408,
    5.0,
    2.0,
    6.666666507720947,
    3.6666667461395264,
    0.6666666865348816,
    5.333333492279053,
    0.0,
    0.0,
    0.0,
    0.0,
    5.666666507720947,
    2.6666667461395264,
    7.333333492279053,
    4.333333492279053,
    1.3333333730697632,
    6.0,
    3.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.0,
    0.3333333432674408,
    5.0,
    2.0,
    6.666666507720947,
    3.6666667461395264,
    0.6666666865348816,
    5.333333492279053,
    2.3333332538604736,
    0.0,
    0.0,
    0.0,
    0.0,
    2.6666667461395264,
    7.333333492279053,
    4.333333492279053,
    1.3333333730697632,
    6.0,
    3.0,
    0.0,
    4.666666507720947,
    0.0,
    0.0,
    0.0,
    0.0,
];

/// The `data()` helper of the generator script.
fn data(n: usize, m: usize, scale: f32) -> Vec<f32> {
    (0..n).map(|i| ((i * 37) % m) as f32 / scale).collect()
}

fn close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}[{i}]: got {g}, want {w}");
    }
}

fn images(n: usize, h: usize, w: usize, c: usize) -> HostArray {
    HostArray::new((0..n * h * w * c).map(|i| i as f32).collect(), &[n, h, w, c]).unwrap()
}

fn labels(v: &[f32]) -> HostArray {
    HostArray::new(v.to_vec(), &[v.len()]).unwrap()
}

fn ys(b: &Batch) -> Vec<f32> {
    b.y.as_ref().unwrap().to_vec_f32().unwrap()
}

// ---- Sequence: the seed page's CIFAR10Sequence example ----

struct CifarLike {
    x: Vec<f32>,
    y: Vec<f32>,
    batch_size: usize,
    epochs_ended: usize,
}

impl Sequence for CifarLike {
    fn len(&self) -> usize {
        self.x.len().div_ceil(self.batch_size)
    }
    fn get(&mut self, idx: usize) -> wgkeras::frontend::Result<Batch> {
        let s = idx * self.batch_size;
        let e = ((idx + 1) * self.batch_size).min(self.x.len());
        if s >= self.x.len() {
            return Err(wgkeras::frontend::Error::arg("CifarLike", format!("index {idx}")));
        }
        Batch::from_host(
            (self.x[s..e].to_vec(), &[e - s, 1]),
            Some((self.y[s..e].to_vec(), &[e - s])),
            None,
            DType::F32,
            &Device::Cpu,
        )
    }
    fn on_epoch_end(&mut self) {
        self.epochs_ended += 1;
    }
}

#[test]
fn sequence_contract_from_seed_example() {
    let mut seq = CifarLike {
        x: (0..10).map(|i| i as f32).collect(),
        y: (0..10).map(|i| (i % 3) as f32).collect(),
        batch_size: 4,
        epochs_ended: 0,
    };
    assert_eq!(seq.len(), 3); // math.ceil(10 / 4)
    assert!(!seq.is_empty());
    let batches: Vec<Batch> = seq.iter().collect::<Result<_, _>>().unwrap();
    assert_eq!(batches.len(), 3);
    assert_eq!(batches.iter().map(|b| b.size()).collect::<Vec<_>>(), vec![4, 4, 2]);
    assert_eq!(batches[2].x.to_vec_f32().unwrap(), vec![8.0, 9.0]);
    assert_eq!(ys(&batches[1]), vec![1.0, 2.0, 0.0, 1.0]);
    seq.on_epoch_end();
    assert_eq!(seq.epochs_ended, 1);
    assert!(seq.get(3).is_err());
}

// ---- NumpyArrayIterator ----

#[test]
fn iterator_lengths_and_batches() {
    let gen = ImageDataGenerator::default();
    for (n, bs, want) in [(10, 3, 4), (9, 3, 3), (1, 32, 1), (0, 4, 0), (64, 32, 2)] {
        let it = NumpyArrayIterator::new(
            images(n, 2, 2, 1),
            None,
            gen.clone(),
            FlowOptions { batch_size: bs, ..Default::default() },
        )
        .unwrap();
        assert_eq!(it.len(), want, "n={n} bs={bs}");
    }
    // Default batch size 32, no shuffle: in order, the last batch short.
    let y: Vec<f32> = (0..40).map(|i| i as f32).collect();
    let mut it =
        NumpyArrayIterator::new(images(40, 2, 3, 3), Some(labels(&y)), gen.clone(), Default::default())
            .unwrap();
    assert_eq!(it.len(), 2);
    let b0 = it.get(0).unwrap();
    assert_eq!(b0.x.shape(), &[32, 2, 3, 3]);
    assert_eq!(b0.x.dtype(), DType::F32);
    assert_eq!(ys(&b0), y[..32].to_vec());
    let b1 = it.get(1).unwrap();
    assert_eq!(b1.x.shape(), &[8, 2, 3, 3]);
    assert_eq!(ys(&b1), y[32..].to_vec());
    // x passes through unchanged with an identity generator.
    assert_eq!(b1.x.to_vec_f32().unwrap(), (32 * 18..40 * 18).map(|i| i as f32).collect::<Vec<_>>());
    assert!(b1.sample_weight.is_none());
    let e = it.get(2).unwrap_err().to_string();
    assert!(e.contains("NumpyArrayIterator") && e.contains("length 2"), "{e}");
    // The epoch iterator.
    assert_eq!(it.iter().count(), 2);
}

#[test]
fn iterator_next_and_reset_follow_flow_index() {
    let y: Vec<f32> = (0..5).map(|i| i as f32).collect();
    let mut it = NumpyArrayIterator::new(
        images(5, 1, 1, 1),
        Some(labels(&y)),
        ImageDataGenerator::default(),
        FlowOptions { batch_size: 2, ..Default::default() },
    )
    .unwrap();
    let got: Vec<Vec<f32>> = (0..4).map(|_| ys(&it.next_batch().unwrap())).collect();
    assert_eq!(got, vec![vec![0.0, 1.0], vec![2.0, 3.0], vec![4.0], vec![0.0, 1.0]]);
    it.reset();
    assert_eq!(ys(&it.next().unwrap().unwrap()), vec![0.0, 1.0]);
}

#[test]
fn shuffle_is_deterministic_from_seed_and_reshuffles_each_epoch() {
    let y: Vec<f32> = (0..23).map(|i| i as f32).collect();
    let make = |seed| {
        NumpyArrayIterator::new(
            images(23, 2, 2, 1),
            Some(labels(&y)),
            ImageDataGenerator::default(),
            FlowOptions { batch_size: 5, shuffle: true, seed: Some(seed), ..Default::default() },
        )
        .unwrap()
    };
    let epoch =
        |it: &mut NumpyArrayIterator| -> Vec<f32> { it.iter().flat_map(|b| ys(&b.unwrap())).collect() };
    let (mut a, mut b, mut c) = (make(7), make(7), make(8));
    let (ea, eb, ec) = (epoch(&mut a), epoch(&mut b), epoch(&mut c));
    assert_eq!(ea, eb);
    assert_ne!(ea, ec);
    assert_ne!(ea, y, "shuffled");
    let mut sorted = ea.clone();
    sorted.sort_by(f32::total_cmp);
    assert_eq!(sorted, y, "each sample once per epoch");
    // x rows follow y.
    let bx = a.get(0).unwrap();
    let (xv, yv) = (bx.x.to_vec_f32().unwrap(), ys(&bx));
    for (k, &label) in yv.iter().enumerate() {
        assert_eq!(xv[k * 4], label * 4.0);
    }
    b.get(0).unwrap(); // keep b's random state in step with a's
    a.on_epoch_end();
    b.on_epoch_end();
    let (ea2, eb2) = (epoch(&mut a), epoch(&mut b));
    assert_eq!(ea2, eb2);
    assert_ne!(ea2, ea, "reshuffled");
    // The endless `next` stream is deterministic too.
    let (mut a, mut b) = (make(3), make(3));
    for _ in 0..7 {
        assert_eq!(ys(&a.next_batch().unwrap()), ys(&b.next_batch().unwrap()));
    }
}

#[test]
fn subset_split_follows_keras_rule() {
    let gen = ImageDataGenerator { validation_split: 0.25, ..Default::default() };
    let y = [0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0];
    let sw: Vec<f32> = (0..13).map(|i| i as f32 * 0.5).collect();
    let opts = |subset| FlowOptions {
        batch_size: 100,
        subset: Some(subset),
        sample_weight: Some(sw.clone()),
        ..Default::default()
    };
    // split = int(13 * 0.25) = 3: validation is the first 3 samples.
    let mut v =
        NumpyArrayIterator::new(images(13, 1, 2, 1), Some(labels(&y)), gen.clone(), opts(Subset::Validation))
            .unwrap();
    let mut t =
        NumpyArrayIterator::new(images(13, 1, 2, 1), Some(labels(&y)), gen.clone(), opts(Subset::Training))
            .unwrap();
    assert_eq!((v.n(), t.n()), (3, 10));
    let (bv, bt) = (v.get(0).unwrap(), t.get(0).unwrap());
    assert_eq!(ys(&bv), y[..3].to_vec());
    assert_eq!(ys(&bt), y[3..].to_vec());
    assert_eq!(bv.sample_weight.as_ref().unwrap().to_vec_f32().unwrap(), sw[..3].to_vec());
    assert_eq!(bt.sample_weight.as_ref().unwrap().to_vec_f32().unwrap(), sw[3..].to_vec());
    assert_eq!(bt.x.to_vec_f32().unwrap()[..2], [6.0, 7.0]);
    // A class missing from one side is an error unless ignore_class_split.
    let sorted = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
    let e = NumpyArrayIterator::new(
        images(8, 1, 1, 1),
        Some(labels(&sorted)),
        gen.clone(),
        FlowOptions { subset: Some(Subset::Training), ..Default::default() },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("different number of classes"), "{e}");
    let ok = NumpyArrayIterator::new(
        images(8, 1, 1, 1),
        Some(labels(&sorted)),
        gen.clone(),
        FlowOptions { subset: Some(Subset::Training), ignore_class_split: true, ..Default::default() },
    )
    .unwrap();
    assert_eq!(ok.n(), 6);
    // Without y there is nothing to check.
    assert!(NumpyArrayIterator::new(
        images(8, 1, 1, 1),
        None,
        gen.clone(),
        FlowOptions { subset: Some(Subset::Validation), ..Default::default() }
    )
    .is_ok());
    assert!(Subset::parse("test").unwrap_err().to_string().contains("Invalid subset name"));
    let bad = ImageDataGenerator { validation_split: 1.5, ..Default::default() };
    assert!(bad.validate().unwrap_err().to_string().contains("validation_split"));
}

#[test]
fn bad_inputs_are_errors_naming_the_shape() {
    let gen = ImageDataGenerator::default();
    let x3 = HostArray::new(vec![0.0; 24], &[2, 3, 4]).unwrap();
    let e = NumpyArrayIterator::new(x3, None, gen.clone(), Default::default()).unwrap_err().to_string();
    assert!(e.contains("NumpyArrayIterator") && e.contains("rank 4") && e.contains("[2, 3, 4]"), "{e}");
    let e = NumpyArrayIterator::new(
        images(4, 1, 1, 1),
        Some(labels(&[1.0, 2.0])),
        gen.clone(),
        Default::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("same length"), "{e}");
    let e = NumpyArrayIterator::new(
        images(4, 1, 1, 1),
        None,
        gen.clone(),
        FlowOptions { sample_weight: Some(vec![1.0]), ..Default::default() },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("sample_weight"), "{e}");
    assert!(HostArray::new(vec![0.0; 5], &[2, 2]).is_err());
    // Keras only warns for a channel count outside {1, 3, 4}: accepted here, nothing changes.
    let mut it = NumpyArrayIterator::new(images(2, 2, 2, 5), None, gen.clone(), Default::default()).unwrap();
    assert_eq!(it.get(0).unwrap().x.shape(), &[2, 2, 2, 5]);
}

#[test]
fn dtype_data_format_and_devices() {
    for dev in common::devices() {
        let gen = ImageDataGenerator {
            data_format: DataFormat::ChannelsFirst,
            horizontal_flip: true,
            dtype: DType::I32,
            ..Default::default()
        };
        // flow() passes the generator's data_format and dtype.
        let x = HostArray::new(vec![1.7, 2.2, 3.9, 4.1, -0.5, 6.0], &[1, 1, 2, 3]).unwrap();
        let mut it = gen
            .flow(x, None, FlowOptions { device: dev.clone(), seed: Some(1), ..FlowOptions::for_flow() })
            .unwrap();
        let b = it.get(0).unwrap();
        assert_eq!(b.x.dtype(), DType::I32);
        assert_eq!(b.x.device(), dev);
        let v = b.x.to_vec::<i32>().unwrap();
        // Values truncated as np.asarray(x, "int32"); maybe flipped along the width.
        assert!(v == vec![1, 2, 3, 4, 0, 6] || v == vec![3, 2, 1, 6, 0, 4], "{v:?}");
    }
}

#[test]
fn save_to_dir_writes_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let gen = ImageDataGenerator::default();
    let mut it = NumpyArrayIterator::new(
        images(3, 4, 5, 3),
        None,
        gen,
        FlowOptions {
            batch_size: 2,
            save_to_dir: Some(dir.path().to_path_buf()),
            save_prefix: "aug".into(),
            seed: Some(0),
            ..Default::default()
        },
    )
    .unwrap();
    it.get(1).unwrap();
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let n = &names[0];
    assert!(n.starts_with("aug_2_") && n.ends_with(".png"), "{n}");
    let hash: u32 = n["aug_2_".len()..n.len() - 4].parse().unwrap();
    assert!(hash < 10_000);
    let bytes = std::fs::read(dir.path().join(n)).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // IHDR: width 5, height 4, depth 8, colour type 2 (RGB).
    assert_eq!(&bytes[16..26], &[0, 0, 0, 5, 0, 0, 0, 4, 8, 2]);
    let e = NumpyArrayIterator::new(
        images(1, 1, 1, 1),
        None,
        ImageDataGenerator::default(),
        FlowOptions { save_to_dir: Some(dir.path().into()), save_format: "gif".into(), ..Default::default() },
    );
    assert!(e.is_err());
}

// ---- ImageDataGenerator transforms ----

#[test]
fn flips_and_rescale_are_exact() {
    let x: Vec<f32> = (0..12).map(|i| i as f32).collect(); // (2, 3, 2) channels_last
    let shape = [2, 3, 2];
    let gen = ImageDataGenerator::default();
    let h = gen
        .apply_transform(&x, &shape, &TransformParams { flip_horizontal: true, ..Default::default() })
        .unwrap();
    assert_eq!(h, vec![4.0, 5.0, 2.0, 3.0, 0.0, 1.0, 10.0, 11.0, 8.0, 9.0, 6.0, 7.0]);
    let v = gen
        .apply_transform(&x, &shape, &TransformParams { flip_vertical: true, ..Default::default() })
        .unwrap();
    assert_eq!(v, vec![6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let cf = ImageDataGenerator { data_format: DataFormat::ChannelsFirst, ..Default::default() };
    // (2, 2, 3) channels_first: the width is the last axis.
    let h = cf
        .apply_transform(&x, &[2, 2, 3], &TransformParams { flip_horizontal: true, ..Default::default() })
        .unwrap();
    assert_eq!(h, vec![2.0, 1.0, 0.0, 5.0, 4.0, 3.0, 8.0, 7.0, 6.0, 11.0, 10.0, 9.0]);
    // Flips drawn by random_transform: always on with probability 1/2 each; over seeds both occur.
    let fl = ImageDataGenerator { horizontal_flip: true, ..Default::default() };
    let outs: std::collections::HashSet<Vec<u32>> = (0..20)
        .map(|s| fl.random_transform(&x, &shape, Some(s)).unwrap().iter().map(|v| v.to_bits()).collect())
        .collect();
    assert_eq!(outs.len(), 2);
    let r = ImageDataGenerator { rescale: Some(1.0 / 255.0), ..Default::default() };
    let mut y = x.clone();
    r.standardize(&mut y, &shape).unwrap();
    assert_eq!(y, x.iter().map(|v| v * (1.0f32 / 255.0)).collect::<Vec<_>>());
    // Identity parameters change nothing (bit exact).
    assert_eq!(gen.random_transform(&x, &shape, Some(5)).unwrap(), x);
    assert!(gen.apply_transform(&x, &[2, 3], &TransformParams::default()).is_err());
}

#[test]
fn standardize_matches_keras() {
    let x = HostArray::new(data(3 * 4 * 5 * 3, 101, 10.0), &[3, 4, 5, 3]).unwrap();
    let mut g = ImageDataGenerator {
        rescale: Some(1.0 / 255.0),
        featurewise_center: true,
        featurewise_std_normalization: true,
        ..Default::default()
    }
    .validate()
    .unwrap();
    g.fit(&x, false, 1, None).unwrap();
    close(g.mean.as_ref().unwrap(), FIT_MEAN, 1e-6, "mean");
    close(g.std.as_ref().unwrap(), FIT_STD, 1e-5, "std");
    let mut s = x.data[60..120].to_vec();
    g.standardize(&mut s, &[4, 5, 3]).unwrap();
    close(&s, FEATUREWISE, 1e-4, "featurewise");

    // channels_first: transpose to (n, c, h, w).
    let mut xc = vec![0f32; x.data.len()];
    for n in 0..3 {
        for h in 0..4 {
            for w in 0..5 {
                for c in 0..3 {
                    xc[((n * 3 + c) * 4 + h) * 5 + w] = x.data[((n * 4 + h) * 5 + w) * 3 + c];
                }
            }
        }
    }
    let xc = HostArray::new(xc, &[3, 3, 4, 5]).unwrap();
    // featurewise_std_normalization alone turns featurewise_center on, as Keras.
    let mut g = ImageDataGenerator {
        featurewise_std_normalization: true,
        data_format: DataFormat::ChannelsFirst,
        ..Default::default()
    }
    .validate()
    .unwrap();
    assert!(g.featurewise_center);
    g.fit(&xc, false, 1, None).unwrap();
    close(g.mean.as_ref().unwrap(), FIT_MEAN_CF, 1e-6, "mean cf");
    close(g.std.as_ref().unwrap(), FIT_STD_CF, 1e-5, "std cf");
    let mut s = xc.data[120..180].to_vec();
    g.standardize(&mut s, &[3, 4, 5]).unwrap();
    close(&s, FEATUREWISE_CF, 1e-4, "featurewise cf");

    let g =
        ImageDataGenerator { rescale: Some(0.5), samplewise_std_normalization: true, ..Default::default() }
            .validate()
            .unwrap();
    let mut s = x.data[..60].to_vec();
    g.standardize(&mut s, &[4, 5, 3]).unwrap();
    close(&s, SAMPLEWISE, 1e-5, "samplewise");

    // The iterator applies standardize per image.
    let mut g = ImageDataGenerator {
        featurewise_center: true,
        featurewise_std_normalization: true,
        rescale: Some(1.0 / 255.0),
        ..Default::default()
    };
    g.fit(&x, false, 1, None).unwrap();
    let mut it = g.flow(x.clone(), None, FlowOptions { batch_size: 3, ..Default::default() }).unwrap();
    let b = it.get(0).unwrap().x.to_vec_f32().unwrap();
    close(&b[60..120], FEATUREWISE, 1e-4, "featurewise via iterator");
}

#[test]
fn affine_transforms_match_keras_apply_transform() {
    let img = data(5 * 6 * 2, 23, 3.0);
    let p = TransformParams {
        theta: 30.0,
        tx: 1.3,
        ty: -0.7,
        shear: 10.0,
        zx: 0.8,
        zy: 1.2,
        ..Default::default()
    };
    for (mode, want) in [
        (FillMode::Nearest, AFFINE_NEAREST),
        (FillMode::Constant, AFFINE_CONSTANT),
        (FillMode::Reflect, AFFINE_REFLECT),
        (FillMode::Wrap, AFFINE_WRAP),
    ] {
        let g = ImageDataGenerator { fill_mode: mode, cval: -1.5, ..Default::default() };
        let got = g.apply_transform(&img, &[5, 6, 2], &p).unwrap();
        close(&got, want, 1e-5, &format!("{mode:?}"));
    }
    let mut cf = vec![0f32; 60];
    for h in 0..5 {
        for w in 0..6 {
            for c in 0..2 {
                cf[(c * 5 + h) * 6 + w] = img[(h * 6 + w) * 2 + c];
            }
        }
    }
    let g = ImageDataGenerator { data_format: DataFormat::ChannelsFirst, ..Default::default() };
    let got = g
        .apply_transform(
            &cf,
            &[2, 5, 6],
            &TransformParams { theta: -45.0, tx: 0.5, zx: 1.5, zy: 1.5, ..Default::default() },
        )
        .unwrap();
    close(&got, AFFINE_CF, 1e-5, "channels_first");
    let g = ImageDataGenerator { fill_mode: FillMode::Constant, ..Default::default() };
    let got =
        g.apply_transform(&img, &[5, 6, 2], &TransformParams { theta: 90.0, ..Default::default() }).unwrap();
    close(&got, ROT90_CONST, 1e-5, "rot90");
    let got = g
        .apply_transform(&img, &[5, 6, 2], &TransformParams { tx: 2.0, ty: -1.0, ..Default::default() })
        .unwrap();
    close(&got, SHIFT_CONST, 1e-6, "shift");
}

#[test]
fn random_transform_is_seeded_and_bounded() {
    let img = data(8 * 8 * 1, 23, 3.0);
    let g = ImageDataGenerator {
        rotation_range: 20.0,
        width_shift_range: 0.2,
        height_shift_range: 0.2,
        zoom_range: wgkeras::frontend::data::image::zoom_range(0.1),
        ..Default::default()
    };
    let a = g.random_transform(&img, &[8, 8, 1], Some(11)).unwrap();
    let b = g.random_transform(&img, &[8, 8, 1], Some(11)).unwrap();
    let c = g.random_transform(&img, &[8, 8, 1], Some(12)).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    // nearest fill + bilinear: values stay within the input's range.
    let (lo, hi) = (0.0, 22.0 / 3.0);
    assert!(a.iter().all(|v| *v >= lo - 1e-5 && *v <= hi + 1e-5));
    let mut rng = wgkeras::frontend::data::image::ImageRng::new(3);
    for _ in 0..100 {
        let p = g.get_random_transform(&[8, 8, 1], &mut rng);
        assert!(p.theta.abs() <= 20.0 && p.tx.abs() <= 1.6 && p.ty.abs() <= 1.6);
        assert!((0.9..=1.1).contains(&p.zx) && (0.9..=1.1).contains(&p.zy));
        assert!(!p.flip_horizontal && !p.flip_vertical);
    }
}
