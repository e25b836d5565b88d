"""Generates C++ for .proto files with Debian's protoc and grpc_cpp_plugin (no downloads)."""

def switchyard_proto_library(name, srcs, deps = [], grpc = False, visibility = None):
    """A cc_library built from `srcs` (.proto files in this package).

    Args:
      name: the cc_library's name.
      srcs: .proto files, importable as "<package>/<file>".
      deps: other switchyard_proto_library targets whose protos `srcs` import.
      grpc: also generate gRPC service stubs.
      visibility: as for cc_library.
    """
    pkg = native.package_name()

    # Protos import each other relative to the top folder "proto/", e.g.
    # "switchyard/v1/snapshot.proto", and C++ includes them the same way.
    root = pkg.split("/")[0]
    rel = pkg[len(root) + 1:]
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    plugin = ""
    if grpc:
        plugin = ("--plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin " +
                  "--grpc_out=$(GENDIR)/" + root + " ")
    native.genrule(
        name = name + "_gen",
        srcs = srcs + [d + "_srcs" for d in deps],
        outs = outs,
        cmd = ("/usr/bin/protoc -I" + root + " --cpp_out=$(GENDIR)/" + root + " " + plugin +
               " ".join([root + "/" + rel + "/" + s for s in srcs])),
    )
    native.filegroup(
        name = name + "_srcs",
        srcs = srcs + [d + "_srcs" for d in deps],
        visibility = visibility,
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        strip_include_prefix = "/" + root,
        deps = deps + ["//third_party:protobuf"] + (["//third_party:grpc"] if grpc else []),
        visibility = visibility,
    )
