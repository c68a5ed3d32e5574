// CIFAR-10's class names and normalisation: plain constants, shared by Node and the browser.

/** Per-channel mean and std of the CIFAR-10 training set (0..1 scale), the usual normalisation. */
export const CIFAR_MEAN = [0.4914, 0.4822, 0.4465];
export const CIFAR_STD = [0.247, 0.2435, 0.2616];

export const CIFAR_LABELS = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
