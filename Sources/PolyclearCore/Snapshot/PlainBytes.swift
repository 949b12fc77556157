/// A value whose bytes are the whole of its meaning, the same in every build: a fixed-width
/// integer, or one of the hub's one-integer indices. Snapshots copy arrays of them wholesale
/// (with the element size, checked on reading) instead of element by element.
public protocol PlainBytes: BitwiseCopyable {}

extension UInt8: PlainBytes {}
extension UInt16: PlainBytes {}
extension UInt32: PlainBytes {}
extension UInt64: PlainBytes {}
extension UInt128: PlainBytes {}
extension Int8: PlainBytes {}
extension Int16: PlainBytes {}
extension Int32: PlainBytes {}
extension Int64: PlainBytes {}
extension Int128: PlainBytes {}
extension Int: PlainBytes {}
