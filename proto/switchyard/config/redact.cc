#include "switchyard/config/redact.h"

#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "switchyard/v1/options.pb.h"

namespace switchyard::config {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsSecret(const FieldDescriptor& field) {
  return (field.type() == FieldDescriptor::TYPE_STRING ||
          field.type() == FieldDescriptor::TYPE_BYTES) &&
         field.options().GetExtension(switchyard::v1::secret);
}

// What identifies an element of a repeated message field: its name, a map entry's key, or
// nothing (matched by position).
std::optional<std::string> KeyOf(const Message& element) {
  const auto* descriptor = element.GetDescriptor();
  const FieldDescriptor* key = descriptor->options().map_entry()
                                   ? descriptor->FindFieldByNumber(1)
                                   : descriptor->FindFieldByName("name");
  if (key == nullptr || key->is_repeated()) return std::nullopt;
  const Reflection* r = element.GetReflection();
  switch (key->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return r->GetString(element, key);
    case FieldDescriptor::CPPTYPE_INT32:
      return std::to_string(r->GetInt32(element, key));
    case FieldDescriptor::CPPTYPE_INT64:
      return std::to_string(r->GetInt64(element, key));
    case FieldDescriptor::CPPTYPE_UINT32:
      return std::to_string(r->GetUInt32(element, key));
    case FieldDescriptor::CPPTYPE_UINT64:
      return std::to_string(r->GetUInt64(element, key));
    case FieldDescriptor::CPPTYPE_BOOL:
      return r->GetBool(element, key) ? "true" : "false";
    default:
      return std::nullopt;
  }
}

// The element of `stored`'s repeated `field` that matches incoming's element `index`.
const Message* Counterpart(const Message& incoming, const Message& stored,
                           const FieldDescriptor* field, int index) {
  const Reflection* in = incoming.GetReflection();
  const Reflection* st = stored.GetReflection();
  const std::optional<std::string> key = KeyOf(in->GetRepeatedMessage(incoming, field, index));
  const int count = st->FieldSize(stored, field);
  if (!key.has_value()) {
    return index < count ? &st->GetRepeatedMessage(stored, field, index) : nullptr;
  }
  for (int i = 0; i < count; ++i) {
    const Message& candidate = st->GetRepeatedMessage(stored, field, i);
    if (KeyOf(candidate) == key) return &candidate;
  }
  return nullptr;
}

std::string ElementPath(const std::string& path, const Message& element, int index) {
  const std::optional<std::string> key = KeyOf(element);
  return absl::StrCat(path, "[", key.has_value() ? *key : std::to_string(index), "]");
}

std::string Join(const std::string& path, const FieldDescriptor& field) {
  return path.empty() ? field.name() : absl::StrCat(path, ".", field.name());
}

absl::Status Restore(Message& incoming, const Message* stored, const std::string& path) {
  const Reflection* in = incoming.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  in->ListFields(incoming, &fields);
  for (const FieldDescriptor* field : fields) {
    const std::string here = Join(path, *field);
    if (IsSecret(*field)) {
      const Reflection* st = stored != nullptr ? stored->GetReflection() : nullptr;
      if (field->is_repeated()) {
        const int stored_count = st != nullptr ? st->FieldSize(*stored, field) : 0;
        for (int i = 0; i < in->FieldSize(incoming, field); ++i) {
          if (in->GetRepeatedString(incoming, field, i) != kRedacted) continue;
          if (i >= stored_count) {
            return absl::InvalidArgumentError(absl::StrCat(
                here, "[", i, "] is ", kRedacted, " but no stored value is there to keep"));
          }
          in->SetRepeatedString(&incoming, field, i, st->GetRepeatedString(*stored, field, i));
        }
      } else if (in->GetString(incoming, field) == kRedacted) {
        if (st == nullptr || !st->HasField(*stored, field)) {
          return absl::InvalidArgumentError(
              absl::StrCat(here, " is ", kRedacted, " but no stored value is there to keep"));
        }
        in->SetString(&incoming, field, st->GetString(*stored, field));
      }
      continue;
    }
    if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      for (int i = 0; i < in->FieldSize(incoming, field); ++i) {
        Message* element = in->MutableRepeatedMessage(&incoming, field, i);
        const Message* match =
            stored != nullptr ? Counterpart(incoming, *stored, field, i) : nullptr;
        if (absl::Status s = Restore(*element, match, ElementPath(here, *element, i)); !s.ok()) {
          return s;
        }
      }
    } else {
      const Message* match = stored != nullptr && stored->GetReflection()->HasField(*stored, field)
                                 ? &stored->GetReflection()->GetMessage(*stored, field)
                                 : nullptr;
      if (absl::Status s = Restore(*in->MutableMessage(&incoming, field), match, here); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

int RedactSecrets(Message& message) {
  const Reflection* r = message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r->ListFields(message, &fields);
  int redacted = 0;
  for (const FieldDescriptor* field : fields) {
    if (IsSecret(*field)) {
      if (field->is_repeated()) {
        for (int i = 0; i < r->FieldSize(message, field); ++i) {
          if (r->GetRepeatedString(message, field, i).empty()) continue;
          r->SetRepeatedString(&message, field, i, kRedacted);
          ++redacted;
        }
      } else if (!r->GetString(message, field).empty()) {
        r->SetString(&message, field, kRedacted);
        ++redacted;
      }
    } else if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (field->is_repeated()) {
        for (int i = 0; i < r->FieldSize(message, field); ++i) {
          redacted += RedactSecrets(*r->MutableRepeatedMessage(&message, field, i));
        }
      } else {
        redacted += RedactSecrets(*r->MutableMessage(&message, field));
      }
    }
  }
  return redacted;
}

absl::Status RestoreRedacted(Message& incoming, const Message& stored) {
  return Restore(incoming, &stored, "");
}

}  // namespace switchyard::config
