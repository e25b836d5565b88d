#include "dataplane/proxy/phase_chain.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace switchyard::proxy {
namespace {

// Records each hook it sees; answers OnRequestHeaders with a fixed status.
class Recorder final : public Phase {
 public:
  Recorder(std::string name, std::vector<std::string>& log, PhaseStatus answer)
      : name_(std::move(name)), log_(log), answer_(answer) {}
  std::string_view name() const override { return name_; }
  PhaseStatus OnRequestHeaders(RequestContext& /*ctx*/) const override {
    log_.push_back(name_ + ".headers");
    return answer_;
  }
  void OnRequestEnd(const RequestContext& /*ctx*/) const override {
    log_.push_back(name_ + ".end");
  }

 private:
  std::string name_;
  std::vector<std::string>& log_;
  PhaseStatus answer_;
};

// Overrides nothing.
class Silent final : public Phase {
 public:
  std::string_view name() const override { return "silent"; }
};

TEST(PhaseChainTest, RunsInOrderUntilAPhaseDoesNotContinue) {
  std::vector<std::string> log;
  std::vector<std::unique_ptr<const Phase>> phases;
  phases.push_back(std::make_unique<Recorder>("a", log, PhaseStatus::kContinue));
  phases.push_back(std::make_unique<Silent>());
  phases.push_back(std::make_unique<Recorder>("b", log, PhaseStatus::kPending));
  phases.push_back(std::make_unique<Recorder>("c", log, PhaseStatus::kContinue));
  const PhaseChain chain(std::move(phases));
  RequestContext ctx;

  size_t at = 99;
  const auto on_headers = [&](const Phase& p) { return p.OnRequestHeaders(ctx); };
  EXPECT_EQ(chain.Run(0, at, on_headers), PhaseStatus::kPending);
  EXPECT_EQ(at, 2u);
  EXPECT_EQ(log, (std::vector<std::string>{"a.headers", "b.headers"}));

  // Resumed after the pending phase: the rest runs.
  EXPECT_EQ(chain.Run(at + 1, at, on_headers), PhaseStatus::kContinue);
  EXPECT_EQ(at, 4u);
  EXPECT_EQ(log.back(), "c.headers");
}

TEST(PhaseChainTest, DefaultHooksContinueAndEndReachesEveryPhase) {
  std::vector<std::string> log;
  std::vector<std::unique_ptr<const Phase>> phases;
  phases.push_back(std::make_unique<Recorder>("a", log, PhaseStatus::kStop));
  phases.push_back(std::make_unique<Silent>());
  phases.push_back(std::make_unique<Recorder>("b", log, PhaseStatus::kContinue));
  const PhaseChain chain(std::move(phases));
  RequestContext ctx;
  http::HeaderMap trailers;
  int status = 200;
  http::HeaderMap headers;
  ResponseHead head{status, headers};
  size_t at = 0;
  EXPECT_EQ(chain.Run(0, at, [&](const Phase& p) { return p.ChooseUpstream(ctx); }),
            PhaseStatus::kContinue);
  EXPECT_EQ(chain.Run(0, at, [&](const Phase& p) { return p.OnResponseHeaders(ctx, head); }),
            PhaseStatus::kContinue);
  EXPECT_EQ(chain.Run(0, at, [&](const Phase& p) { return p.OnRequestTrailers(ctx, trailers); }),
            PhaseStatus::kContinue);
  EXPECT_EQ(chain.Run(0, at, [&](const Phase& p) { return p.OnRequestBody(ctx, "x", true); }),
            PhaseStatus::kContinue);

  // "a" stops the request at its head; "b" never sees the head but does see the end.
  EXPECT_EQ(chain.Run(0, at, [&](const Phase& p) { return p.OnRequestHeaders(ctx); }),
            PhaseStatus::kStop);
  chain.RunRequestEnd(ctx);
  EXPECT_EQ(log, (std::vector<std::string>{"a.headers", "a.end", "b.end"}));
}

struct Consumer {
  std::string name;
};
struct Decision {
  int remaining = 0;
};

TEST(PhaseSlotsTest, EachTypeHasItsOwnSlotClearedPerRequest) {
  PhaseSlots slots;
  EXPECT_EQ(slots.Get<Consumer>(), nullptr);
  slots.Emplace<Consumer>("alice");
  slots.Emplace<Decision>().remaining = 9;
  ASSERT_NE(slots.Get<Consumer>(), nullptr);
  EXPECT_EQ(slots.Get<Consumer>()->name, "alice");
  EXPECT_EQ(slots.Get<Decision>()->remaining, 9);
  slots.Emplace<Consumer>("bob");
  EXPECT_EQ(slots.Get<Consumer>()->name, "bob");
  slots.Clear();
  EXPECT_EQ(slots.Get<Consumer>(), nullptr);
  EXPECT_EQ(slots.Get<Decision>(), nullptr);
}

}  // namespace
}  // namespace switchyard::proxy
