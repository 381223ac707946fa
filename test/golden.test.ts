/**
 * Every *.json in $SPAIC_GOLDEN_DIR (default ../shared/golden, read recursively) is one test, named
 * after the file, dispatched by `kind` and `algorithm` to a handler in test/golden/.
 * - A file whose kind/algorithm is on TODO is reported as todo, with the reason.
 * - A file whose kind or algorithm is neither handled nor on TODO fails. So does a file of another format.
 */
import test from 'ava'

import { goldenDir, listGoldenFiles, loadGolden } from './helpers/golden.js'
import { handlers } from './golden/index.js'

/**
 * Rules not built yet: `kind` or `kind:algorithm` -> why. Issue 5 built stca, stbp, sbp and the
 * nearest/full online STDP rules; these learners (and their program ops) come in the next learner issue.
 * Shrinks as they land.
 */
const TODO: Record<string, string> = {
  'stdp_network:Meta_nearest_online_STDP': 'learner not implemented yet (next learner issue)',
  'stdp_network:PostPreIntSTDP': 'learner not implemented yet (next learner issue)',
  'stdp_network:RSTDP': 'learner not implemented yet (next learner issue)',
  'stdp_network:RSTDPET': 'learner not implemented yet (next learner issue)',
  'stdp_network:RewardSwitchSTDP': 'learner not implemented yet (next learner issue)',
  'stdp_network:Tempotron': 'learner not implemented yet (next learner issue)',
}

const files = listGoldenFiles()

test('golden directory holds files', (t) => {
  t.true(files.length > 0, `no *.json found in ${goldenDir} (set SPAIC_GOLDEN_DIR)`)
})

for (const file of files) {
  let g: ReturnType<typeof loadGolden>
  try {
    g = loadGolden(file)
  } catch (err) {
    test(`golden ${file}`, (t) => t.fail(`cannot parse ${file}: ${(err as Error).message}`))
    continue
  }
  const name = `golden ${g.name ?? file}`
  if (g.format !== 'spaic-golden/1') {
    test(name, (t) => t.fail(`unknown format ${JSON.stringify(g.format)} in ${file}`))
    continue
  }
  const key = `${g.kind}:${g.algorithm}`
  const h = handlers[g.kind]
  if (h && h.algorithms.includes(g.algorithm)) {
    test(name, (t) => h.run(t, g))
  } else if (TODO[key] ?? TODO[g.kind]) {
    test.todo(`${name} (todo: ${TODO[key] ?? TODO[g.kind]})`)
  } else {
    test(name, (t) => t.fail(`no handler for golden kind '${g.kind}' / algorithm '${g.algorithm}' (${file})`))
  }
}
