/** The network definition layer: objects, the compiler and the ProgramSpec it produces. */
export { Assembly, Module, Network, NetObject, Projection, isPopulation } from './base.js'
export type { AttachableLearner, Category, ModuleParameter, NetworkOptions, Population } from './base.js'
export { NeuronGroup } from './group.js'
export type { AnyNeuronGroupOptions, NeuronGroupBaseOptions, NeuronGroupOptions } from './group.js'
export { Connection, setInitSeed } from './connection.js'
export type { ConnectionOptions, ConvGeometry, LinkType, SynType } from './connection.js'
export { Decoder, Encoder, Node, Reward, decoderCodings, encoderCodings, rewardCodings } from './nodes.js'
export type {
  DecoderCoding,
  DecoderOptions,
  EncoderCoding,
  EncoderOptions,
  RewardCoding,
  RewardOptions,
} from './nodes.js'
export { Monitor } from './monitor.js'
export type { MonitorOptions } from './monitor.js'
export { clifV0, lookupModel, neuronModelNames, neuronModels } from '../ops/neuron-models.js'
export type { ModelDef, ModelParamDef, ModelVarDef, SlotDType, SlotKind } from '../ops/neuron-models.js'
export type {
  CLIFParams,
  DiehlAndCookParams,
  IFParams,
  LIFParams,
  LIFSTDPExParams,
  LIFSTDPIhParams,
  NeuronModel,
  NeuronModelParams,
} from '../ops/neuron-models.js'
export { compileNetwork } from './compile.js'
export type { CompileOptions } from './compile.js'
export { SeededRandom, deriveSeed } from './rng.js'
export type * from './program.js'
