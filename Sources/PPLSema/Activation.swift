/// The activations a flow's conditioner networks may use (`activation = relu`); the
/// inference stage says what each computes.
public enum Activation: String, CaseIterable, Sendable {
    case tanh, relu, elu, softplus, sigmoid, leaky_relu
}
