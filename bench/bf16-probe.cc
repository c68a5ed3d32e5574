// npm run bench:bf16 — what bfloat16 would buy the 1x1 convolutions (issue 20, a measured probe, not
// a training path): every 1x1 convolution of cmv3 width 0.5 at batch 128, through oneDNN 2.6 with
// NHWC activations as native/conv.cc runs them, in float32 and with bfloat16 activations and
// weights (forward: bf16 in and out; backward data: bf16 diff_dst and weights, float32 diff_src
// for the batch-norm backward; backward weights: bf16 in, float32 weight gradient). Needs a CPU
// with AVX512_BF16 (oneDNN falls back to slow reference code otherwise: the impl line says so).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <unordered_map>
#include <vector>
#include "oneapi/dnnl/dnnl.hpp"
using namespace dnnl;
using tag = memory::format_tag; using dt = memory::data_type;
engine eng(engine::kind::cpu, 0); stream strm(eng);
// Random values in [-1, 1) (no zeros, denormals or NaN to flatter either side), as f32 or bf16.
void Fill(memory& m) {
  static std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  const size_t bytes = m.get_desc().get_size();
  if (m.get_desc().data_type() == dt::bf16) {
    auto* p = static_cast<uint16_t*>(m.get_data_handle());
    for (size_t i = 0; i < bytes / 2; ++i) { float f = u(rng); uint32_t b; std::memcpy(&b, &f, 4); p[i] = uint16_t(b >> 16); }
  } else {
    auto* p = static_cast<float*>(m.get_data_handle());
    for (size_t i = 0; i < bytes / 4; ++i) p[i] = u(rng);
  }
}
double timeit(primitive& p, std::unordered_map<int, memory>& args) {
  p.execute(strm, args); strm.wait();
  double best = 1e9;
  for (int r = 0; r < 5; ++r) { auto a = std::chrono::steady_clock::now(); p.execute(strm, args); strm.wait(); auto b = std::chrono::steady_clock::now(); best = std::min(best, std::chrono::duration<double, std::milli>(b - a).count()); }
  return best;
}
int main() {
  // (batch, spatial size, cin, cout) of block1.1pw ... head1 (`cmv3 summary cmv3`): 20,643,840 MACs per image.
  struct S { int n, h, cin, cout; } shapes[] = {{128, 32, 16, 48}, {128, 32, 48, 16}, {128, 32, 48, 24}, {128, 32, 24, 24},
      {128, 32, 144, 24}, {128, 32, 24, 24}, {128, 32, 24, 96}, {128, 16, 96, 24}, {128, 16, 144, 48}, {128, 16, 48, 48},
      {128, 16, 288, 64}, {128, 16, 64, 64}, {128, 16, 64, 128}};
  double tf[3] = {0}, tb[3] = {0}, tm[3] = {0};
  for (const auto& s : shapes) {
    double gf = 2.0 * s.n * s.h * s.h * s.cin * s.cout / 1e9;
    double t[2][3], conv_mixed[3];
    for (int bf = 0; bf < 2; ++bf) {
      dt a = bf ? dt::bf16 : dt::f32;
      memory::desc src({s.n, s.cin, s.h, s.h}, a, tag::nhwc), dst({s.n, s.cout, s.h, s.h}, bf ? dt::bf16 : dt::f32, tag::nhwc);
      memory::desc srcf({s.n, s.cin, s.h, s.h}, dt::f32, tag::nhwc);
      memory::desc wany({s.cout, s.cin, 1, 1}, a, tag::any);
      memory::desc wf({s.cout, s.cin, 1, 1}, dt::f32, tag::any);
      // forward: bf16 in, bf16 out
      auto fd = convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src, wany, memory::desc(), dst, {1,1}, {0,0}, {0,0});
      auto fpd = convolution_forward::primitive_desc(fd, eng);
      memory ms(src, eng), mw(fpd.weights_desc(), eng), md(dst, eng);
      Fill(ms), Fill(mw), Fill(md);
      convolution_forward f(fpd);
      std::unordered_map<int, memory> fa{{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, md}};
      t[bf][0] = timeit(f, fa);
      // backward data: diff_dst (bf16) x weights -> diff_src (f32 when bf16: keeps the BN backward input in f32)
      auto bdd = convolution_backward_data::desc(algorithm::convolution_direct, bf ? srcf : src, wany, dst, {1,1}, {0,0}, {0,0});
      auto bdpd = convolution_backward_data::primitive_desc(bdd, eng, fpd);
      memory mds(bf ? srcf : src, eng), mw2(bdpd.weights_desc(), eng);
      Fill(mw2);
      convolution_backward_data bd(bdpd);
      std::unordered_map<int, memory> ba{{DNNL_ARG_DIFF_DST, md}, {DNNL_ARG_WEIGHTS, mw2}, {DNNL_ARG_DIFF_SRC, mds}};
      t[bf][1] = timeit(bd, ba);
      // backward weights: src, diff_dst (bf16) -> diff_weights f32
      auto bwd = convolution_backward_weights::desc(algorithm::convolution_direct, src, wf, memory::desc(), dst, {1,1}, {0,0}, {0,0});
      auto bwpd = convolution_backward_weights::primitive_desc(bwd, eng, fpd);
      memory mdw(bwpd.diff_weights_desc(), eng);
      convolution_backward_weights bw(bwpd);
      std::unordered_map<int, memory> wa{{DNNL_ARG_SRC, ms}, {DNNL_ARG_DIFF_DST, md}, {DNNL_ARG_DIFF_WEIGHTS, mdw}};
      t[bf][2] = timeit(bw, wa);
      if (&s == &shapes[0]) printf("impl %s: fwd %s bwd_d %s bwd_w %s\n", bf ? "bf16" : "f32", fpd.impl_info_str(), bdpd.impl_info_str(), bwpd.impl_info_str());
      if (bf) {
        // float32 tensors, bfloat16 arithmetic: convert src and diff_dst on the way in (the
        // reorders are timed), float32 dst and diff_src out; backward weights reuses both converts.
        memory::desc dstf({s.n, s.cout, s.h, s.h}, dt::f32, tag::nhwc);
        memory xs(srcf, eng), xd(dstf, eng), yd(dstf, eng);
        Fill(xs), Fill(xd);
        reorder rs(xs, ms), rd(xd, md);
        std::unordered_map<int, memory> rsa{{DNNL_ARG_FROM, xs}, {DNNL_ARG_TO, ms}}, rda{{DNNL_ARG_FROM, xd}, {DNNL_ARG_TO, md}};
        auto fd2 = convolution_forward::desc(prop_kind::forward_training, algorithm::convolution_direct, src, wany, memory::desc(), dstf, {1,1}, {0,0}, {0,0});
        auto fpd2 = convolution_forward::primitive_desc(fd2, eng);
        convolution_forward f2(fpd2);
        std::unordered_map<int, memory> fa2{{DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, yd}};
        conv_mixed[0] = timeit(rs, rsa) + timeit(f2, fa2);
        conv_mixed[1] = timeit(rd, rda) + t[1][1];
        conv_mixed[2] = t[1][2];
        if (&s == &shapes[0]) printf("impl mixed: fwd %s\n", fpd2.impl_info_str());
      }
    }
    printf("%3dx%-3d %2dx%-2d %5.2f GF | f32 fwd %6.2f bd %6.2f bw %6.2f ms | bf16 fwd %6.2f bd %6.2f bw %6.2f ms | mixed fwd %6.2f bd %6.2f ms\n", s.cin, s.cout, s.h, s.h, gf, t[0][0], t[0][1], t[0][2], t[1][0], t[1][1], t[1][2], conv_mixed[0], conv_mixed[1]);
    for (int k = 0; k < 3; ++k) { tf[k] += t[0][k]; tb[k] += t[1][k]; tm[k] += conv_mixed[k]; }
  }
  printf("all 1x1 convolutions, ms per training step: ");
  printf("total f32 fwd %.1f bd %.1f bw %.1f | bf16 fwd %.1f bd %.1f bw %.1f ms\n", tf[0], tf[1], tf[2], tb[0], tb[1], tb[2]);
  printf("float32 tensors with bf16 arithmetic (converts included): fwd %.1f bd %.1f bw %.1f ms, total %.1f\n", tm[0], tm[1], tm[2], tm[0] + tm[1] + tm[2]);
}
