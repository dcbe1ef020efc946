// Bits-back coding (thesis §3.5.2; local bits-back §3.5.3 is this with q = p̃(z|x), p = p̃(x|z)):
//   push(x):  z ← pop with q(z|x)        (decode z from the message: "bits back")
//             push x with p(x|z)
//             push z with p(z)
//   pop():    z ← pop with p(z);  x ← pop with p(x|z);  push z with q(z|x);  return x
// Net cost of push: −log p(x|z) − log p(z) + log q(z|x) bits.  If the message runs dry, the
// posterior pop borrows aux words (Message contract M3) and pop gives them back.
//
// posterior: callable x -> codec over z;  likelihood: callable z -> codec over x;  prior: codec.
#pragma once

#include <utility>

#include "ans/message.h"
#include "codec/codec.h"

namespace lbb {

template <class Posterior, class Likelihood, class Prior>
struct BitsBackCodec {
  Posterior posterior;
  Likelihood likelihood;
  Prior prior;

  template <class X>
  void push(Message& m, const X& x) const {
    const auto z = posterior(x).pop(m);
    likelihood(z).push(m, x);
    prior.push(m, z);
  }
  auto pop(Message& m) const {
    const auto z = prior.pop(m);
    auto x = likelihood(z).pop(m);
    posterior(x).push(m, z);
    return x;
  }
};

template <class Posterior, class Likelihood, class Prior>
BitsBackCodec<Posterior, Likelihood, Prior> bits_back(Posterior q, Likelihood p_x_given_z,
                                                      Prior p_z) {
  return BitsBackCodec<Posterior, Likelihood, Prior>{std::move(q), std::move(p_x_given_z),
                                                     std::move(p_z)};
}

}  // namespace lbb
