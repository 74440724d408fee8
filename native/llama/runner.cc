// SpecFleet's native llama.cpp runner, for greedy sessions: a draft model's whole window in one
// call, the windows of several sessions in lockstep (one decode per step for all), and a
// target's verify passes with the argmax at every position read in place, with no per-token hop
// to JavaScript. Built by scripts/build-native.sh against the libllama node-llama-cpp loads
// (same soname: one copy in the process, the backends node-llama-cpp loaded).
#include <ggml-backend.h>
#include <llama.h>
#include <napi.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct Job {
  llama_seq_id seq;
  llama_pos keep;                // cells of `seq` from here on are erased first
  std::vector<llama_token> tail; // evaluated after `keep` (never empty)
  int32_t window;                // tokens to draft
  int32_t predictFrom = -1;      // ≥ 0: a verify pass, the argmax after each tail token from here on
  std::vector<llama_token> out;
};

class Runner : public Napi::ObjectWrap<Runner> {
 public:
  static Napi::Object Init(Napi::Env env, Napi::Object exports) {
    Napi::Function cls = DefineClass(env, "Runner", {
      InstanceMethod("run", &Runner::RunJobs),
      InstanceMethod("close", &Runner::Close),
    });
    exports.Set("Runner", cls);
    return exports;
  }

  Runner(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Runner>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 2 || !info[0].IsString() || !info[1].IsObject()) {
      Napi::TypeError::New(env, "new Runner(modelPath, { contextSize, sequences, threads, unifiedKvCache, flashAttention, kvCacheF32 })").ThrowAsJavaScriptException();
      return;
    }
    std::string path = info[0].As<Napi::String>();
    Napi::Object o = info[1].As<Napi::Object>();
    const uint32_t contextSize = o.Get("contextSize").As<Napi::Number>().Uint32Value();
    sequences_ = o.Get("sequences").As<Napi::Number>().Uint32Value();
    const int32_t threads = o.Get("threads").As<Napi::Number>().Int32Value();
    llama_backend_init();
    if (ggml_backend_dev_count() == 0) {
      Napi::Error::New(env, "no compute backend is loaded: create node-llama-cpp's Llama before the native runner")
          .ThrowAsJavaScriptException();
      return;
    }
    llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    model_ = llama_model_load_from_file(path.c_str(), mp);
    if (!model_) {
      Napi::Error::New(env, "could not load the model " + path).ThrowAsJavaScriptException();
      return;
    }
    llama_context_params cp = llama_context_default_params();
    cp.n_ctx = contextSize * sequences_;
    cp.n_batch = std::max<uint32_t>(512, contextSize);
    cp.n_ubatch = cp.n_batch;
    cp.n_seq_max = sequences_;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    // One KV cache for all sequences (any mix of sequences and lengths in one ubatch: verify
    // passes), or a stream per sequence (single-token draft steps run faster on it).
    cp.kv_unified = o.Get("unifiedKvCache").ToBoolean();
    // Flash attention left to llama.cpp ("auto": on, here), or off with an f32 KV cache: a draft
    // model's single-token steps, whose flash attention cost grew with every position cached
    // (native/llama/README.md).
    if (!o.Get("flashAttention").ToBoolean()) cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    if (o.Get("kvCacheF32").ToBoolean()) {
      cp.type_k = GGML_TYPE_F32;
      cp.type_v = GGML_TYPE_F32;
    }
    cp.no_perf = true;
    ctx_ = llama_init_from_model(model_, cp);
    if (!ctx_) {
      Napi::Error::New(env, "could not create the context").ThrowAsJavaScriptException();
      return;
    }
    vocab_ = llama_model_get_vocab(model_);
    nVocab_ = llama_vocab_n_tokens(vocab_);
    batch_ = llama_batch_init(cp.n_batch, 0, 1);
    nBatch_ = cp.n_batch;
  }

  ~Runner() { Release(); }

  // Runs on a libuv thread: the verify passes, then the draft windows.
  std::string Run(std::vector<Job>& jobs) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ctx_) return "the native runner is closed";
    llama_memory_t mem = llama_get_memory(ctx_);
    for (const Job& job : jobs)
      if (job.seq < 0 || (uint32_t)job.seq >= sequences_) return "sequence out of range";
    std::vector<Job*> passes, drafts;
    for (Job& job : jobs) (job.predictFrom >= 0 ? passes : drafts).push_back(&job);
    // In sequence order: with a KV stream per sequence, llama.cpp keeps a batch in one ubatch
    // only while its sequence ids go up one by one.
    auto bySeq = [](const Job* a, const Job* b) { return a->seq < b->seq; };
    std::sort(passes.begin(), passes.end(), bySeq);
    std::sort(drafts.begin(), drafts.end(), bySeq);
    if (!passes.empty()) {
      const std::string error = Predict(mem, passes);
      if (!error.empty()) return error;
    }
    if (drafts.empty()) return "";
    return Draft(mem, drafts);
  }

 private:
  // Verify passes: every tail in as few decodes as fit, the argmax read after each decode.
  std::string Predict(llama_memory_t mem, std::vector<Job*>& jobs) {
    struct Slot { Job* job; int32_t index; };
    std::vector<Slot> read;
    auto decode = [&]() -> bool {
      if (llama_decode(ctx_, batch_) != 0) return false;
      for (const Slot& s : read) s.job->out.push_back(Argmax(llama_get_logits_ith(ctx_, s.index)));
      read.clear();
      batch_.n_tokens = 0;
      return true;
    };
    batch_.n_tokens = 0;
    for (Job* job : jobs) {
      llama_memory_seq_rm(mem, job->seq, job->keep, -1);
      llama_pos pos = job->keep;
      for (size_t i = 0; i < job->tail.size(); i++) {
        if (batch_.n_tokens == nBatch_ && !decode()) return "verify decode failed";
        const bool logits = (int32_t)i >= job->predictFrom;
        if (logits) read.push_back({job, batch_.n_tokens});
        Add(job->tail[i], pos++, job->seq, logits);
      }
    }
    if (batch_.n_tokens > 0 && !decode()) return "verify decode failed";
    return "";
  }

  // Draft windows: every tail in one batch (logits at its last token), then all windows in lockstep.
  std::string Draft(llama_memory_t mem, std::vector<Job*>& jobs) {
    std::vector<llama_pos> next(jobs.size());
    std::vector<int32_t> logitAt(jobs.size(), -1);
    for (size_t j = 0; j < jobs.size(); j++) {
      Job& job = *jobs[j];
      llama_memory_seq_rm(mem, job.seq, job.keep, -1);
      next[j] = job.keep;
    }
    // Tails (a prompt, or the committed tokens since the last round) in one batch, logits at
    // each one's last token, as node-llama-cpp evaluates them (so the numbers, and the drafts,
    // are the same). A tail that does not fit has all but its last token evaluated beforehand.
    std::vector<bool> whole(jobs.size());
    size_t finalSize = 0;
    for (size_t j = 0; j < jobs.size(); j++) {
      const size_t later = jobs.size() - j - 1;
      whole[j] = finalSize + jobs[j]->tail.size() + later <= (size_t)nBatch_;
      finalSize += whole[j] ? jobs[j]->tail.size() : 1;
    }
    batch_.n_tokens = 0;
    for (size_t j = 0; j < jobs.size(); j++) {
      if (whole[j]) continue;
      for (size_t i = 0; i + 1 < jobs[j]->tail.size(); i++) {
        if (batch_.n_tokens == nBatch_) {
          if (llama_decode(ctx_, batch_) != 0) return "draft decode failed";
          batch_.n_tokens = 0;
        }
        Add(jobs[j]->tail[i], next[j]++, jobs[j]->seq, false);
      }
    }
    if (batch_.n_tokens > 0 && llama_decode(ctx_, batch_) != 0) return "draft decode failed";
    batch_.n_tokens = 0;
    for (size_t j = 0; j < jobs.size(); j++) {
      if (whole[j])
        for (size_t i = 0; i + 1 < jobs[j]->tail.size(); i++) Add(jobs[j]->tail[i], next[j]++, jobs[j]->seq, false);
      logitAt[j] = batch_.n_tokens;
      Add(jobs[j]->tail.back(), next[j]++, jobs[j]->seq, true);
    }
    if (llama_decode(ctx_, batch_) != 0) return "draft decode failed";
    std::vector<bool> drafting(jobs.size());
    size_t active = 0;
    for (size_t j = 0; j < jobs.size(); j++) {
      drafting[j] = jobs[j]->window > 0 && logitAt[j] >= 0;
      if (drafting[j]) active++;
    }
    while (active > 0) {
      std::vector<std::pair<size_t, llama_token>> step;
      for (size_t j = 0; j < jobs.size(); j++) {
        if (!drafting[j]) continue;
        const llama_token token = Argmax(llama_get_logits_ith(ctx_, logitAt[j]));
        jobs[j]->out.push_back(token);
        // The last draft token is not evaluated: nothing needs its prediction yet.
        if ((int32_t)jobs[j]->out.size() >= jobs[j]->window || llama_vocab_is_eog(vocab_, token)) {
          drafting[j] = false;
          active--;
          continue;
        }
        step.push_back({j, token});
      }
      if (step.empty()) break;
      batch_.n_tokens = 0;
      for (auto& [j, token] : step) {
        logitAt[j] = batch_.n_tokens;
        Add(token, next[j]++, jobs[j]->seq, true);
      }
      if (llama_decode(ctx_, batch_) != 0) return "draft decode failed";
    }
    return "";
  }

 private:
  void Add(llama_token token, llama_pos pos, llama_seq_id seq, bool logits) {
    const int32_t i = batch_.n_tokens++;
    batch_.token[i] = token;
    batch_.pos[i] = pos;
    batch_.n_seq_id[i] = 1;
    batch_.seq_id[i][0] = seq;
    batch_.logits[i] = logits;
  }

  llama_token Argmax(const float* logits) const {
    llama_token best = 0;
    for (int32_t t = 1; t < nVocab_; t++)
      if (logits[t] > logits[best]) best = t;
    return best;
  }

  Napi::Value RunJobs(const Napi::CallbackInfo& info);

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    if (ctx_) {
      llama_batch_free(batch_);
      llama_free(ctx_);
      ctx_ = nullptr;
    }
    if (model_) {
      llama_model_free(model_);
      model_ = nullptr;
    }
  }

  std::mutex mu_;
  llama_model* model_ = nullptr;
  llama_context* ctx_ = nullptr;
  const llama_vocab* vocab_ = nullptr;
  int32_t nVocab_ = 0;
  uint32_t sequences_ = 0;
  llama_batch batch_{};
  int32_t nBatch_ = 0;
};

class RunWorker : public Napi::AsyncWorker {
 public:
  RunWorker(Napi::Env env, Runner* runner, Napi::Object self, std::vector<Job> jobs)
      : Napi::AsyncWorker(env), runner_(runner), deferred_(Napi::Promise::Deferred::New(env)), jobs_(std::move(jobs)) {
    self_ = Napi::Persistent(self);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override {
    const std::string error = runner_->Run(jobs_);
    if (!error.empty()) SetError(error);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array result = Napi::Array::New(env, jobs_.size());
    for (size_t j = 0; j < jobs_.size(); j++) {
      Napi::Uint32Array tokens = Napi::Uint32Array::New(env, jobs_[j].out.size());
      for (size_t i = 0; i < jobs_[j].out.size(); i++) tokens[i] = jobs_[j].out[i];
      result[j] = tokens;
    }
    deferred_.Resolve(result);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Runner* runner_;
  Napi::ObjectReference self_;
  Napi::Promise::Deferred deferred_;
  std::vector<Job> jobs_;
};

// run([{ seq, keep, tail: Uint32Array, window, predictFrom? }]) → Promise<Uint32Array[]>: the
// drafted tokens of a draft job; of a verify job (predictFrom ≥ 0), the argmax after each tail
// token from predictFrom on.
Napi::Value Runner::RunJobs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) {
    Napi::TypeError::New(env, "run(jobs)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<Job> jobs(list.Length());
  for (uint32_t j = 0; j < list.Length(); j++) {
    Napi::Object o = list.Get(j).As<Napi::Object>();
    jobs[j].seq = o.Get("seq").As<Napi::Number>().Int32Value();
    jobs[j].keep = o.Get("keep").As<Napi::Number>().Int32Value();
    jobs[j].window = o.Get("window").As<Napi::Number>().Int32Value();
    Napi::Value from = o.Get("predictFrom");
    if (from.IsNumber()) jobs[j].predictFrom = from.As<Napi::Number>().Int32Value();
    Napi::Uint32Array tail = o.Get("tail").As<Napi::Uint32Array>();
    jobs[j].tail.assign(tail.Data(), tail.Data() + tail.ElementLength());
    if (jobs[j].tail.empty()) {
      Napi::RangeError::New(env, "a job needs at least one tail token").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (jobs[j].predictFrom >= (int32_t)jobs[j].tail.size()) {
      Napi::RangeError::New(env, "predictFrom is past the tail").ThrowAsJavaScriptException();
      return env.Undefined();
    }
  }
  auto* worker = new RunWorker(env, this, info.This().As<Napi::Object>(), std::move(jobs));
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Object InitAll(Napi::Env env, Napi::Object exports) { return Runner::Init(env, exports); }

NODE_API_MODULE(specfleet_llama, InitAll)
