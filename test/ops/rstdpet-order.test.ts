/**
 * The rstdpet step in float32 is bit-exact against SPAIC's own sequence of float32 operations, emulated
 * here with Math.fround after every operation, over 60 steps with a per-post-neuron reward (the case that
 * drifts when a compiler fuses a*b + c into one rounding):
 *   W  <- W + ((float(lr*dt) * r_j) * ET_old)          (RSTDPET.weight_update: lr*dt*reward*ET, in place)
 *   p+ <- A+ * s_pre + d+ * p+,  p- <- A- * s_post + d- * p-         (var_mult, then var_linear)
 *   E  <- ger(s_post, p+) + ger(p-, s_pre)
 *   ET <- d_e * ET + m_e * E                                          (var_mult(tau_e, E), var_linear)
 * Each constant is the float32 tensor SPAIC stores (exp(-dt/tau) and dt/tau_e rounded once).
 */
import { ops, Tensor } from '../../lib/index.js'
import { eachDevice } from '../helpers/backends.js'
import { Rng } from '../helpers/random.js'

const f = Math.fround

eachDevice('rstdpetStep float32 == SPAIC float32 op order, bit for bit, 60 steps, per-post reward', (t, device) => {
  const rng = new Rng(2024)
  const nPre = 37
  const nPost = 11
  const dt = 0.5
  const lr = 0.3
  const w0 = Float32Array.from(rng.uniformArray(nPost * nPre, -0.5, 0.5))
  const w = Tensor.from(w0, { shape: [nPost, nPre], device })
  const st = ops.createRstdpState(1, nPre, nPost, { dtype: 'float32', device, eligibilityTrace: true })
  const dPlus = f(Math.exp(-dt / 20))
  const dMinus = f(Math.exp(-dt / 20))
  const dE = f(Math.exp(-dt / 25))
  const mE = f(dt / 25)
  const c = f(lr * dt)
  const W = Float32Array.from(w0)
  const pPlus = new Float32Array(nPre)
  const pMinus = new Float32Array(nPost)
  const E = new Float32Array(nPost * nPre)
  const ET = new Float32Array(nPost * nPre)
  for (let k = 0; k < 60; k++) {
    const sPre = rng.spikes(nPre, 0.3)
    const sPost = rng.spikes(nPost, 0.3)
    const r = Float32Array.from(rng.uniformArray(nPost, -1, 1))
    ops.rstdpetStep(
      st,
      Tensor.from(Float32Array.from(sPre), { shape: [1, nPre], device }),
      Tensor.from(Float32Array.from(sPost), { shape: [1, nPost], device }),
      Tensor.from(r, { shape: [1, nPost], device }),
      w,
      { lr, dt },
    )
    for (let j = 0; j < nPost; j++) {
      const cr = f(c * r[j])
      for (let i = 0; i < nPre; i++) W[j * nPre + i] = f(W[j * nPre + i] + f(cr * ET[j * nPre + i]))
    }
    for (let i = 0; i < nPre; i++) pPlus[i] = f(f(1 * sPre[i]) + f(dPlus * pPlus[i]))
    for (let j = 0; j < nPost; j++) pMinus[j] = f(f(-1 * sPost[j]) + f(dMinus * pMinus[j]))
    for (let j = 0; j < nPost; j++) {
      for (let i = 0; i < nPre; i++) {
        const e = f(f(sPost[j] * pPlus[i]) + f(pMinus[j] * sPre[i]))
        E[j * nPre + i] = e
        ET[j * nPre + i] = f(f(dE * ET[j * nPre + i]) + f(mE * e))
      }
    }
    const got = w.toArray()
    const bad = W.findIndex((v, i) => !Object.is(v, got[i]))
    if (bad >= 0) {
      t.fail(`step ${k}: w[${bad}] = ${got[bad]}, SPAIC's float32 order gives ${W[bad]}`)
      return
    }
  }
  t.deepEqual(Array.from(st.et!.toArray()), Array.from(ET))
  t.deepEqual(Array.from(st.e.toArray()), Array.from(E))
})
